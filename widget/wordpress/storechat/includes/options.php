<?php
/**
 * The plugin's two options and who may change them.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_OPTION_CONNECTION = 'storechat_connection';
const STORECHAT_OPTION_CONSENT    = 'storechat_consent_text';

/**
 * The saved connection (url, store, secret), or null when the store is not connected.
 *
 * @return array{url: string, store: string, secret: string}|null
 */
function storechat_connection(): ?array {
	$saved = get_option( STORECHAT_OPTION_CONNECTION );
	foreach ( array( 'url', 'store', 'secret' ) as $name ) {
		if ( ! is_array( $saved ) || empty( $saved[ $name ] ) || ! is_string( $saved[ $name ] ) ) {
			return null;
		}
	}
	return $saved;
}

/**
 * The marketing consent text shown at checkout (and sent with each event, as shown).
 *
 * @return string
 */
function storechat_consent_text(): string {
	$text = get_option( STORECHAT_OPTION_CONSENT, '' );
	if ( ! is_string( $text ) || '' === trim( $text ) ) {
		$text = __( 'Send me offers and reminders about my cart on WhatsApp. I can reply STOP at any time.', 'storechat' );
	}
	return $text;
}

/**
 * The capability that may connect the store: shop managers with WooCommerce, else admins.
 *
 * @return string
 */
function storechat_capability(): string {
	return class_exists( 'WooCommerce' ) ? 'manage_woocommerce' : 'manage_options';
}
