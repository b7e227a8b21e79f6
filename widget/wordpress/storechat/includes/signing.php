<?php
/**
 * Signatures StoreChat checks: cart events and "Open StoreChat" sign-in links.
 *
 * Pure PHP with no WordPress calls, so php-cli can test it against the Python side
 * (webhooks/signatures.py and plugin/auth/wordpress.py).
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * The X-StoreChat-Hmac-Sha256 header for a request body: base64 HMAC-SHA256 of the raw bytes.
 *
 * @param string $body   The exact bytes that will be sent.
 * @param string $secret The store's connection secret.
 * @return string
 */
function storechat_sign_body( string $body, string $secret ): string {
	return base64_encode( hash_hmac( 'sha256', $body, $secret, true ) ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- a signature, not obfuscation.
}

/**
 * The hex HMAC-SHA256 of "STORE\nTS\nNONCE" that signs a sign-in link.
 *
 * @param string $store  The store key.
 * @param int    $ts     UNIX time the link was made.
 * @param string $nonce  A random, single-use value.
 * @param string $secret The store's connection secret.
 * @return string
 */
function storechat_signin_signature( string $store, int $ts, string $nonce, string $secret ): string {
	return hash_hmac( 'sha256', $store . "\n" . $ts . "\n" . $nonce, $secret );
}

/**
 * The query string of a sign-in link: store=KEY&ts=UNIX&nonce=N&signature=HEX.
 *
 * StoreChat accepts it for five minutes, once, at {url}/auth/wordpress?{query}.
 *
 * @param string $store  The store key.
 * @param int    $ts     UNIX time the link was made.
 * @param string $nonce  A random, single-use value (at most 128 characters).
 * @param string $secret The store's connection secret.
 * @return string
 */
function storechat_signin_query( string $store, int $ts, string $nonce, string $secret ): string {
	return 'store=' . rawurlencode( $store )
		. '&ts=' . $ts
		. '&nonce=' . rawurlencode( $nonce )
		. '&signature=' . storechat_signin_signature( $store, $ts, $nonce, $secret );
}
