<?php
/**
 * The connection key the owner pastes: "sc1." + base64url(JSON {url, store, secret}), unpadded.
 *
 * Pure PHP with no WordPress calls. It follows the same rules as the Python side,
 * plugin/woocommerce_key.py; keep the two in step.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_KEY_PREFIX     = 'sc1.';
const STORECHAT_KEY_MAX_LENGTH = 2048; // Far above a real key; refuse a pasted novel before decoding it.

/**
 * The parts of a connection key: array with 'url' (no trailing slash), 'store' and 'secret'.
 *
 * @param string $key The key as pasted.
 * @return array{url: string, store: string, secret: string}
 * @throws InvalidArgumentException Saying what is wrong, in words an owner can act on.
 */
function storechat_parse_connection_key( string $key ): array {
	$damaged = 'The connection key is damaged: copy it again from StoreChat.';
	$key     = trim( $key );
	if ( '' === $key ) {
		throw new InvalidArgumentException( 'The connection key is empty.' );
	}
	if ( strlen( $key ) > STORECHAT_KEY_MAX_LENGTH ) {
		throw new InvalidArgumentException( 'The connection key is too long: copy it again from StoreChat.' );
	}
	if ( 0 !== strpos( $key, STORECHAT_KEY_PREFIX ) ) {
		throw new InvalidArgumentException( "This is not a StoreChat connection key (it should start with 'sc1.')." );
	}
	$encoded = substr( $key, strlen( STORECHAT_KEY_PREFIX ) );
	if ( ! preg_match( '/^[A-Za-z0-9_-]+$/D', $encoded ) || 1 === strlen( $encoded ) % 4 ) {
		throw new InvalidArgumentException( $damaged );
	}
	$padded = str_pad( strtr( $encoded, '-_', '+/' ), (int) ( ceil( strlen( $encoded ) / 4 ) * 4 ), '=' );
	$json   = base64_decode( $padded, true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the key format is base64url.
	$data   = false === $json ? null : json_decode( $json );
	if ( ! $data instanceof stdClass ) {
		throw new InvalidArgumentException( $damaged );
	}
	$data = get_object_vars( $data );
	$missing = array();
	foreach ( array( 'url', 'store', 'secret' ) as $name ) {
		if ( ! isset( $data[ $name ] ) || ! is_string( $data[ $name ] ) || '' === $data[ $name ] ) {
			$missing[] = $name;
		}
	}
	if ( $missing ) {
		throw new InvalidArgumentException( 'The connection key has no ' . implode( ', ', $missing ) . '.' );
	}
	return array(
		'url'    => storechat_clean_url( $data['url'] ),
		'store'  => storechat_clean_store_key( $data['store'] ),
		'secret' => storechat_clean_secret( $data['secret'] ),
	);
}

/**
 * StoreChat's base URL, without a trailing slash.
 *
 * @param string $url As found in the key.
 * @return string
 * @throws InvalidArgumentException If it is not a plain http(s) base URL.
 */
function storechat_clean_url( string $url ): string {
	$url   = trim( $url );
	$parts = preg_match( '/^[\x21-\x7e]+$/D', $url ) ? parse_url( $url ) : false; // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- pure PHP, no WordPress here.
	if ( ! is_array( $parts ) || ! isset( $parts['scheme'], $parts['host'] ) || '' === $parts['host']
		|| ! in_array( strtolower( $parts['scheme'] ), array( 'http', 'https' ), true ) ) {
		throw new InvalidArgumentException( 'The StoreChat URL in the connection key must be an http(s) URL.' );
	}
	if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
		throw new InvalidArgumentException( 'The StoreChat URL in the connection key must be a plain base URL.' );
	}
	return rtrim( $url, '/' );
}

/**
 * The store key, as StoreChat makes them (URL-safe, at most 32 characters).
 *
 * @param string $store As found in the key.
 * @return string
 * @throws InvalidArgumentException If it has other characters.
 */
function storechat_clean_store_key( string $store ): string {
	if ( ! preg_match( '/^[A-Za-z0-9_-]{1,32}$/D', $store ) ) {
		throw new InvalidArgumentException( 'The store key in the connection key is not valid.' );
	}
	return $store;
}

/**
 * The connection secret: 16-256 printable ASCII characters without spaces.
 *
 * @param string $secret As found in the key.
 * @return string
 * @throws InvalidArgumentException If it is too short or has other characters.
 */
function storechat_clean_secret( string $secret ): string {
	if ( ! preg_match( '/^[\x21-\x7e]{16,256}$/D', $secret ) ) {
		throw new InvalidArgumentException( 'The connection secret must be 16-256 printable characters without spaces.' );
	}
	return $secret;
}

/**
 * The secret as the settings page may show it: only its last four characters.
 *
 * @param string $secret The connection secret.
 * @return string
 */
function storechat_mask_secret( string $secret ): string {
	return str_repeat( '•', 8 ) . substr( $secret, -4 );
}
