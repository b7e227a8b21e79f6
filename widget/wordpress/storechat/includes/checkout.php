<?php
/**
 * Checkout: the WhatsApp marketing checkbox and the shopper's phone, in both checkouts.
 *
 * Classic (shortcode) checkout: a checkbox in the billing fields. Phone, e-mail and the box
 * trigger WooCommerce's update_order_review request as they change, which hands us the form
 * (woocommerce_checkout_update_order_review); the order gets the consent on
 * woocommerce_checkout_create_order (before its first save, through the HPOS-safe CRUD).
 *
 * Block checkout: the box is an Additional Checkout Field (WooCommerce 8.9+) in the contact
 * section; its value arrives on woocommerce_set_additional_field_value. The block syncs the
 * address as it is typed through the Store API (woocommerce_store_api_cart_update_customer_from_request),
 * which gives us the phone; woocommerce_store_api_checkout_update_order_from_request tags the
 * order with the cart token.
 *
 * Orders carry _storechat_marketing_consent (yes/no), _storechat_consent_text and
 * _storechat_cart_token in their meta, so StoreChat reads them from the order webhook.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_CLASSIC_FIELD = 'storechat_marketing_optin';
const STORECHAT_BLOCK_FIELD   = 'storechat/marketing-optin';

add_filter( 'woocommerce_checkout_fields', 'storechat_classic_checkout_fields' );
add_action( 'woocommerce_checkout_update_order_review', 'storechat_classic_order_review' );
add_action( 'woocommerce_checkout_create_order', 'storechat_classic_create_order', 10, 2 );
add_action( 'woocommerce_checkout_order_processed', 'storechat_forget_cart' );

add_action( 'woocommerce_init', 'storechat_register_block_field' );
add_action( 'woocommerce_set_additional_field_value', 'storechat_block_field_value', 10, 4 );
add_action( 'woocommerce_store_api_cart_update_customer_from_request', 'storechat_block_update_customer' );
add_action( 'woocommerce_store_api_checkout_update_order_from_request', 'storechat_block_update_order' );
add_action( 'woocommerce_store_api_checkout_order_processed', 'storechat_forget_cart' );

/**
 * Adds the consent box under the phone field, and makes phone, e-mail and box report changes.
 *
 * @param array $fields Checkout fields by group.
 * @return array
 */
function storechat_classic_checkout_fields( $fields ) {
	if ( null === storechat_connection() || ! isset( $fields['billing'] ) ) {
		return $fields;
	}
	// update_totals_on_change makes checkout.js post the form (update_order_review) on change.
	foreach ( array( 'billing_phone', 'billing_email' ) as $key ) {
		if ( isset( $fields['billing'][ $key ] ) ) {
			$fields['billing'][ $key ]['class'][] = 'update_totals_on_change';
		}
	}
	$fields['billing'][ STORECHAT_CLASSIC_FIELD ] = array(
		'type'     => 'checkbox',
		'label'    => esc_html( storechat_consent_text() ), // woocommerce_form_field prints checkbox labels raw.
		'required' => false,
		'default'  => 0,
		'class'    => array( 'form-row-wide', 'update_totals_on_change' ),
		'priority' => 105, // Right after the phone (100).
	);
	return $fields;
}

/**
 * Classic checkout changed: remember the phone, e-mail, name, country and the box.
 *
 * WooCommerce checked its update-order-review nonce before firing this.
 *
 * @param string $posted The checkout form, URL-encoded and unslashed.
 */
function storechat_classic_order_review( $posted ): void {
	if ( ! is_string( $posted ) ) {
		return;
	}
	parse_str( $posted, $form );
	storechat_remember_contact(
		array(
			'phone'      => isset( $form['billing_phone'] ) ? $form['billing_phone'] : null,
			'email'      => isset( $form['billing_email'] ) ? $form['billing_email'] : null,
			'first_name' => isset( $form['billing_first_name'] ) ? $form['billing_first_name'] : null,
			'last_name'  => isset( $form['billing_last_name'] ) ? $form['billing_last_name'] : null,
			'country'    => isset( $form['billing_country'] ) ? $form['billing_country'] : null,
			'consent'    => ! empty( $form[ STORECHAT_CLASSIC_FIELD ] ),
		)
	);
}

/**
 * Classic checkout placed an order: record the consent and the cart on it.
 *
 * @param WC_Order $order The order, not yet saved.
 * @param array    $data  The posted checkout data, validated by WooCommerce.
 */
function storechat_classic_create_order( $order, $data ): void {
	if ( ! is_array( $data ) || ! array_key_exists( STORECHAT_CLASSIC_FIELD, $data ) ) {
		return; // The box was not on the form (not connected when the page was shown).
	}
	storechat_record_order_consent( $order, ! empty( $data[ STORECHAT_CLASSIC_FIELD ] ) );
	$order->update_meta_data( '_storechat_cart_token', storechat_cart_token() );
}

/**
 * Writes the consent and the words shown with it on an order (saved by the caller).
 *
 * @param WC_Order $order   The order.
 * @param bool     $consent Whether the box was ticked.
 */
function storechat_record_order_consent( $order, bool $consent ): void {
	$order->update_meta_data( '_storechat_marketing_consent', $consent ? 'yes' : 'no' );
	$order->update_meta_data( '_storechat_consent_text', storechat_consent_text() );
}

/**
 * Registers the consent box with the block checkout, where WooCommerce supports it (8.9+).
 */
function storechat_register_block_field(): void {
	if ( ! function_exists( 'woocommerce_register_additional_checkout_field' ) || null === storechat_connection() ) {
		return;
	}
	woocommerce_register_additional_checkout_field(
		array(
			'id'       => STORECHAT_BLOCK_FIELD,
			'label'    => storechat_consent_text(),
			'location' => 'contact',
			'type'     => 'checkbox',
		)
	);
}

/**
 * Block checkout set the box (on a draft or placed order, or the customer): remember it.
 *
 * @param string $key       The field id.
 * @param mixed  $value     The sanitized value.
 * @param string $group     billing, shipping or other.
 * @param object $wc_object WC_Order or WC_Customer.
 */
function storechat_block_field_value( $key, $value, $group, $wc_object ): void {
	if ( STORECHAT_BLOCK_FIELD !== $key ) {
		return;
	}
	storechat_remember_contact( array( 'consent' => (bool) $value ) );
	if ( $wc_object instanceof WC_Order ) {
		storechat_record_order_consent( $wc_object, (bool) $value );
	}
}

/**
 * Block checkout synced the address as it was typed: remember the phone and the rest.
 *
 * @param WC_Customer $customer The session customer, already updated and sanitized.
 */
function storechat_block_update_customer( $customer ): void {
	if ( ! $customer instanceof WC_Customer ) {
		return;
	}
	storechat_remember_contact(
		array(
			'phone'      => $customer->get_billing_phone(),
			'email'      => $customer->get_billing_email(),
			'first_name' => $customer->get_billing_first_name(),
			'last_name'  => $customer->get_billing_last_name(),
			'country'    => $customer->get_billing_country(),
		)
	);
}

/**
 * Block checkout updated its order from the request: tag it with the cart token (saved after).
 *
 * @param WC_Order $order The draft order.
 */
function storechat_block_update_order( $order ): void {
	if ( $order instanceof WC_Order && null !== storechat_connection() && null !== storechat_session() ) {
		$order->update_meta_data( '_storechat_cart_token', storechat_cart_token() );
	}
}
