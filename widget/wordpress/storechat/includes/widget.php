<?php
/**
 * The storefront chat widget: {url}/widget.js with data-store, deferred, only when connected.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_WIDGET_HANDLE = 'storechat-widget';

add_action( 'wp_enqueue_scripts', 'storechat_enqueue_widget' );
add_filter( 'script_loader_tag', 'storechat_widget_tag', 10, 2 );

/**
 * Whether WordPress applies script loading strategies itself (6.3 and later).
 *
 * @return bool
 */
function storechat_has_script_strategies(): bool {
	return version_compare( get_bloginfo( 'version' ), '6.3', '>=' );
}

/**
 * Enqueues the widget in the footer, deferred so it never blocks the storefront's rendering.
 */
function storechat_enqueue_widget(): void {
	$connection = storechat_connection();
	if ( null === $connection ) {
		return;
	}
	$args = storechat_has_script_strategies()
		? array(
			'strategy'  => 'defer',
			'in_footer' => true,
		)
		: true;
	// The version becomes ?ver=…, so a plugin update is never served a stale cached widget.
	wp_enqueue_script( STORECHAT_WIDGET_HANDLE, $connection['url'] . '/widget.js', array(), STORECHAT_VERSION, $args );
}

/**
 * Adds data-store (and defer, before WordPress 6.3) to the widget's script tag.
 *
 * @param string $tag    The script tag.
 * @param string $handle The script handle.
 * @return string
 */
function storechat_widget_tag( $tag, $handle ) {
	$connection = storechat_connection();
	if ( STORECHAT_WIDGET_HANDLE !== $handle || null === $connection ) {
		return $tag;
	}
	$attributes = ' data-store="' . esc_attr( $connection['store'] ) . '"';
	if ( ! storechat_has_script_strategies() ) {
		$attributes .= ' defer';
	}
	// The tag may come with inline scripts around it; only the one with our id gets the attributes.
	$ours = '/(<script\b[^>]*\bid=(["\'])' . STORECHAT_WIDGET_HANDLE . '-js\2)/';
	return (string) preg_replace( $ours, '$1' . $attributes, $tag, 1 );
}
