<?php
/**
 * Signed cart events to StoreChat, and the cart-restore link they carry.
 *
 * A request that changes the cart or the shopper's contact details queues one event; it is
 * built and sent once, at shutdown, and only when it differs from the last one sent for this
 * cart. StoreChat only hears about carts it could act on: carts with a phone number.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_CART_TTL          = 14 * DAY_IN_SECONDS; // Longest abandoned-cart sequence, with room.
const STORECHAT_SEND_TIMEOUT      = 2; // Seconds; the post is non-blocking, this bounds the connect.
const STORECHAT_RESTORE_PARAM     = 'storechat_restore';
const STORECHAT_COUPON_PARAM      = 'coupon'; // Added to the restore link when a message carries a code.
const STORECHAT_COUPON_MAX_LENGTH = 64; // Longer than any code StoreChat makes; a longer one is junk.

add_action( 'woocommerce_after_calculate_totals', 'storechat_cart_changed' );
add_action( 'woocommerce_cart_emptied', 'storechat_cart_changed' );
add_action( 'shutdown', 'storechat_flush_event', 5 ); // Before WC_Session_Handler saves (20).
add_action( 'wp_loaded', 'storechat_restore_cart', 20 );

/**
 * The topic to send at the end of this request; '' for none. Pass a topic to queue it, '' to cancel.
 *
 * @param string|null $change A topic, '' to cancel, null to only read.
 * @return string
 */
function storechat_pending_event( ?string $change = null ): string {
	static $topic = '';
	// checkout.updated says more than cart.updated, so within one request it wins.
	if ( null !== $change && ( '' === $change || 'checkout.updated' !== $topic ) ) {
		$topic = $change;
	}
	return $topic;
}

/**
 * Queues cart.updated when the cart changes.
 */
function storechat_cart_changed(): void {
	storechat_pending_event( 'cart.updated' );
}

/**
 * The WooCommerce session when there is a shopper to speak of, else null.
 *
 * @return WC_Session|null
 */
function storechat_session() {
	return function_exists( 'WC' ) && WC()->session ? WC()->session : null;
}

/**
 * This cart's token: random, kept in the shopper's session until the order is placed.
 *
 * @return string
 */
function storechat_cart_token(): string {
	$session = storechat_session();
	$token   = $session ? $session->get( 'storechat_cart_token' ) : '';
	if ( ! is_string( $token ) || ! preg_match( '/^[a-f0-9]{32}$/D', $token ) ) {
		$token = bin2hex( random_bytes( 16 ) );
		if ( $session ) {
			$session->set( 'storechat_cart_token', $token );
		}
	}
	return $token;
}

/**
 * Remembers contact details and consent typed at checkout, and queues checkout.updated.
 *
 * @param array $fields Any of phone, email, first_name, country (raw) and consent (bool).
 */
function storechat_remember_contact( array $fields ): void {
	$session = storechat_session();
	if ( null === $session || null === storechat_connection() ) {
		return;
	}
	$contact = (array) $session->get( 'storechat_contact', array() );
	$clean   = array(
		'phone'      => 'wc_sanitize_phone_number',
		'email'      => 'sanitize_email',
		'first_name' => 'sanitize_text_field',
		'last_name'  => 'sanitize_text_field',
		'country'    => 'storechat_sanitize_country',
	);
	foreach ( $clean as $name => $sanitize ) {
		if ( isset( $fields[ $name ] ) && is_string( $fields[ $name ] ) ) {
			$contact[ $name ] = call_user_func( $sanitize, $fields[ $name ] );
		}
	}
	if ( isset( $fields['consent'] ) ) {
		// Record the words the shopper saw next to the box, not whatever the text is later.
		$contact['consent'] = array(
			'marketing' => (bool) $fields['consent'],
			'text'      => storechat_consent_text(),
		);
	}
	$session->set( 'storechat_contact', $contact );
	storechat_pending_event( 'checkout.updated' );
}

/**
 * A two-letter country code, or ''.
 *
 * @param string $country As typed or posted.
 * @return string
 */
function storechat_sanitize_country( string $country ): string {
	$country = strtoupper( trim( $country ) );
	return preg_match( '/^[A-Z]{2}$/D', $country ) ? $country : '';
}

/**
 * The shopper's contact: what they typed this session, else what their account knows.
 *
 * @return array{phone: string, email: string, first_name: string, last_name: string, country: string, consent?: array}
 */
function storechat_current_contact(): array {
	$session  = storechat_session();
	$typed    = $session ? (array) $session->get( 'storechat_contact', array() ) : array();
	$customer = WC()->customer;
	$known    = array(
		'phone'      => $customer ? $customer->get_billing_phone() : '',
		'email'      => $customer ? $customer->get_billing_email() : '',
		'first_name' => $customer ? $customer->get_billing_first_name() : '',
		'last_name'  => $customer ? $customer->get_billing_last_name() : '',
		'country'    => $customer ? $customer->get_billing_country() : '',
	);
	$contact = array();
	foreach ( $known as $name => $value ) {
		$contact[ $name ] = ! empty( $typed[ $name ] ) ? (string) $typed[ $name ] : (string) $value;
	}
	// No consent key when the shopper never saw the box: that is no statement, not an opt-out.
	if ( isset( $typed['consent'] ) && is_array( $typed['consent'] ) ) {
		$contact['consent'] = $typed['consent'];
	}
	return $contact;
}

/**
 * The event body: the cart, the contact, consent as shown, and the restore link.
 *
 * @param string $token   The cart token.
 * @param array  $contact From storechat_current_contact().
 * @return array
 */
function storechat_cart_payload( string $token, array $contact ): array {
	$cart     = WC()->cart;
	$decimals = wc_get_price_decimals();
	$items    = array();
	foreach ( $cart->get_cart() as $item ) {
		$product = isset( $item['data'] ) ? $item['data'] : null;
		if ( ! $product instanceof WC_Product ) {
			continue;
		}
		$quantity     = max( 1, (int) $item['quantity'] );
		$line         = (float) $item['line_subtotal'] + ( $cart->display_prices_including_tax() ? (float) $item['line_subtotal_tax'] : 0.0 );
		$variation_id = isset( $item['variation_id'] ) ? (int) $item['variation_id'] : 0;
		$variant      = $variation_id ? storechat_variant_title( $item ) : '';
		$entry        = array(
			// A variation's own name repeats its attributes ("Tee - Blue, M"): send the product's.
			'name'         => wp_strip_all_tags( '' !== $variant ? $product->get_title() : $product->get_name() ),
			'quantity'     => $quantity,
			'price'        => wc_format_decimal( $line / $quantity, $decimals ),
			'product_id'   => isset( $item['product_id'] ) ? (int) $item['product_id'] : 0,
			'variation_id' => $variation_id,
		);
		if ( '' !== $variant ) {
			$entry['variant_title'] = $variant;
		}
		$image = storechat_product_image_url( $product );
		if ( '' !== $image ) {
			$entry['image_url'] = $image;
		}
		$items[] = $entry;
	}
	$payload = array(
		'cart_token'  => $token,
		'customer_id' => get_current_user_id(), // 0 for a guest; StoreChat matches carts to orders by it.
		'phone'       => $contact['phone'],
		'email'       => $contact['email'],
		'first_name'  => $contact['first_name'],
		'last_name'   => $contact['last_name'],
		'country'     => $contact['country'],
		'locale'      => determine_locale(),
		'currency'    => get_woocommerce_currency(),
		'total'       => wc_format_decimal( $cart->get_total( 'edit' ), $decimals ),
		'items'       => $items,
		'restore_url' => add_query_arg( STORECHAT_RESTORE_PARAM, $token, home_url( '/' ) ),
		'completed'   => false,
	);
	if ( isset( $contact['consent'] ) ) {
		$payload['consent'] = array(
			'marketing' => (bool) $contact['consent']['marketing'],
			'text'      => (string) $contact['consent']['text'],
		);
	}
	return $payload;
}

/**
 * A cart line's variation as a shopper reads it ("Blue, M"): the attributes chosen in the cart,
 * so an "any colour" variation names the colour picked; '' for none.
 *
 * @param array $item A line of WC()->cart->get_cart().
 * @return string
 */
function storechat_variant_title( array $item ): string {
	$attributes = isset( $item['variation'] ) && is_array( $item['variation'] ) ? $item['variation'] : array();
	if ( empty( $attributes ) || ! function_exists( 'wc_get_formatted_variation' ) ) {
		return '';
	}
	// Flat, values only: taxonomy slugs become their term names ("blue" is "Blue").
	return trim( wp_strip_all_tags( wc_get_formatted_variation( $attributes, true, false ) ) );
}

/**
 * The product's main image (a variation without one has its parent's) as a full https URL, or ''.
 *
 * WhatsApp fetches a header image itself and only over https, at most 5 MB: the shop's single
 * product size is well under that where the original upload may not be.
 *
 * @param WC_Product $product The cart line's product or variation.
 * @return string
 */
function storechat_product_image_url( WC_Product $product ): string {
	$image_id = (int) $product->get_image_id();
	$url      = $image_id ? wp_get_attachment_image_url( $image_id, 'woocommerce_single' ) : false;
	return is_string( $url ) && 0 === strpos( $url, 'https://' ) ? $url : '';
}

/**
 * At the end of the request: builds the queued event and sends it if it says something new.
 */
function storechat_flush_event(): void {
	$topic   = storechat_pending_event();
	$session = storechat_session();
	if ( '' === $topic || null === $session || ! WC()->cart || null === storechat_connection() ) {
		return;
	}
	$contact = storechat_current_contact();
	$sent    = (string) $session->get( 'storechat_sent', '' );
	$empty   = WC()->cart->is_empty();
	// No phone, nothing StoreChat could do; an empty cart matters only if we told it of a full one.
	if ( '' === $contact['phone'] || ( $empty && '' === $sent ) ) {
		return;
	}
	$token   = storechat_cart_token();
	$payload = storechat_cart_payload( $token, $contact );
	$digest  = md5( (string) wp_json_encode( array( $topic, $payload ) ) );
	if ( $digest === $sent ) {
		return;
	}
	storechat_save_restorable_cart( $token, $contact );
	if ( storechat_send_event( $topic, $payload ) ) {
		$session->set( 'storechat_sent', $digest );
	}
}

/**
 * The cart became an order: tells StoreChat (completed: true) if it knew of the cart, then
 * forgets it, so the next cart gets a new token.
 */
function storechat_forget_cart(): void {
	$session = storechat_session();
	if ( null === $session ) {
		return;
	}
	$token = $session->get( 'storechat_cart_token' );
	if ( is_string( $token ) && '' !== $token ) {
		if ( '' !== (string) $session->get( 'storechat_sent', '' ) && WC()->cart && storechat_connection() ) {
			$payload              = storechat_cart_payload( $token, storechat_current_contact() );
			$payload['completed'] = true;
			storechat_send_event( 'checkout.updated', $payload );
		}
		delete_transient( 'storechat_cart_' . $token );
	}
	$session->__unset( 'storechat_cart_token' );
	$session->__unset( 'storechat_sent' );
	storechat_pending_event( '' );
}

/**
 * Posts a signed event to {url}/webhooks/woocommerce/{store}; non-blocking, so never slow.
 *
 * @param string $topic   cart.updated or checkout.updated.
 * @param array  $payload The event body.
 * @return bool Whether the request was handed to the transport.
 */
function storechat_send_event( string $topic, array $payload ): bool {
	$connection = storechat_connection();
	// Keeps a return to an earlier state apart from it in StoreChat's dedupe (a body hash).
	$payload['updated_at'] = gmdate( 'Y-m-d\TH:i:s\Z' );
	$body                  = wp_json_encode( $payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	if ( null === $connection || false === $body ) {
		return false;
	}
	$response = wp_remote_post(
		$connection['url'] . '/webhooks/woocommerce/' . rawurlencode( $connection['store'] ),
		array(
			'body'        => $body,
			'timeout'     => STORECHAT_SEND_TIMEOUT,
			'blocking'    => false,
			'redirection' => 0,
			'headers'     => array(
				'Content-Type'            => 'application/json',
				'X-StoreChat-Topic'       => $topic,
				'X-StoreChat-Hmac-Sha256' => storechat_sign_body( $body, $connection['secret'] ),
				'User-Agent'              => 'StoreChat-WordPress/' . STORECHAT_VERSION,
			),
		)
	);
	return ! is_wp_error( $response );
}

/**
 * Keeps what the restore link needs to rebuild the cart on any device.
 *
 * @param string $token   The cart token.
 * @param array  $contact From storechat_current_contact().
 */
function storechat_save_restorable_cart( string $token, array $contact ): void {
	$items = array();
	foreach ( WC()->cart->get_cart() as $item ) {
		$items[] = array(
			'product_id'   => (int) $item['product_id'],
			'variation_id' => (int) $item['variation_id'],
			'variation'    => isset( $item['variation'] ) ? (array) $item['variation'] : array(),
			'quantity'     => (float) $item['quantity'],
		);
	}
	unset( $contact['consent'] );
	set_transient(
		'storechat_cart_' . $token,
		array(
			'items'   => $items,
			'contact' => $contact,
		),
		STORECHAT_CART_TTL
	);
}

/**
 * Handles ?storechat_restore=TOKEN: refills the cart and the contact form, then goes to checkout.
 *
 * The token is 128 random bits, sent only to the shopper; it is the link's only credential,
 * like WooCommerce's own order-pay links, and changes nothing but this visitor's cart.
 */
function storechat_restore_cart(): void {
	if ( ! isset( $_GET[ STORECHAT_RESTORE_PARAM ] ) || ! function_exists( 'WC' ) || ! WC()->cart ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a link from a message; the random token is the credential.
		return;
	}
	$token = sanitize_key( wp_unslash( $_GET[ STORECHAT_RESTORE_PARAM ] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- see above.
	$saved = preg_match( '/^[a-f0-9]{32}$/D', $token ) ? get_transient( 'storechat_cart_' . $token ) : false;
	$found = is_array( $saved ) && ! empty( $saved['items'] ) && null !== storechat_session();
	if ( $found ) {
		WC()->session->set_customer_session_cookie( true );
		WC()->cart->empty_cart();
		foreach ( $saved['items'] as $item ) {
			WC()->cart->add_to_cart( $item['product_id'], $item['quantity'], $item['variation_id'], $item['variation'] );
		}
		WC()->session->set( 'storechat_cart_token', $token );
		storechat_prefill_customer( (array) $saved['contact'] );
		storechat_apply_restore_coupon();
	}
	wp_safe_redirect( $found ? wc_get_checkout_url() : wc_get_cart_url() );
	exit;
}

/**
 * Applies the restore link's ?coupon=CODE (the code of StoreChat's last recovery message) when it
 * names a coupon that exists and is valid for this cart; anything else leaves the cart as it is.
 *
 * Like the token, the code is a credential the shopper was sent; WooCommerce still checks it
 * (expiry, usage limit, restrictions) before it applies, and says why on the checkout page.
 */
function storechat_apply_restore_coupon(): void {
	if ( ! isset( $_GET[ STORECHAT_COUPON_PARAM ] ) || ! is_string( $_GET[ STORECHAT_COUPON_PARAM ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- part of the restore link, see storechat_restore_cart().
		return;
	}
	$code = wc_format_coupon_code( sanitize_text_field( wp_unslash( $_GET[ STORECHAT_COUPON_PARAM ] ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- see above.
	if ( '' === $code || strlen( $code ) > STORECHAT_COUPON_MAX_LENGTH || WC()->cart->has_discount( $code ) ) {
		return;
	}
	$coupon = new WC_Coupon( $code );
	if ( ! $coupon->get_id() ) {
		return;
	}
	$discounts = new WC_Discounts( WC()->cart );
	if ( true === $discounts->is_coupon_valid( $coupon ) ) {
		WC()->cart->apply_coupon( $code );
	}
}

/**
 * Fills empty checkout fields from a restored cart's contact.
 *
 * @param array $contact Phone, email, first_name, last_name, country.
 */
function storechat_prefill_customer( array $contact ): void {
	$customer = WC()->customer;
	$setters  = array(
		'phone'      => 'billing_phone',
		'email'      => 'billing_email',
		'first_name' => 'billing_first_name',
		'last_name'  => 'billing_last_name',
		'country'    => 'billing_country',
	);
	foreach ( $setters as $name => $prop ) {
		if ( ! empty( $contact[ $name ] ) && '' === $customer->{"get_$prop"}() ) {
			$customer->{"set_$prop"}( $contact[ $name ] );
		}
	}
	$customer->save();
}
