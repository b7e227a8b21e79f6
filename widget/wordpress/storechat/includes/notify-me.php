<?php
/**
 * "Notify me on WhatsApp" on sold-out products: a simple product out of stock shows the
 * button at once; a variable product shows it when the chosen variation is out of stock
 * (WooCommerce's `found_variation` event, hidden again on `reset_data`).
 *
 * The form posts to StoreChat ({url}/widget/{store}/notify) from the shopper's browser; the
 * answer names the store's WhatsApp number and a prefilled message that confirms the
 * subscription. Nothing is stored in WordPress.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

const STORECHAT_NOTIFY_HANDLE = 'storechat-notify-me';

add_action( 'woocommerce_single_product_summary', 'storechat_notify_me_form', 35 );
add_action( 'wp_enqueue_scripts', 'storechat_enqueue_notify_me' );

/**
 * The product the page shows, when it is one that can run out.
 *
 * @return WC_Product|null
 */
function storechat_notify_me_product() {
	if ( null === storechat_connection() || ! function_exists( 'is_product' ) || ! is_product() ) {
		return null;
	}
	$product = wc_get_product( get_queried_object_id() );
	return $product instanceof WC_Product ? $product : null;
}

/**
 * The words of the consent box (recorded by StoreChat with each subscription, as shown).
 *
 * @return string
 */
function storechat_notify_me_consent_text(): string {
	return __( 'Send me a WhatsApp message when this product is back in stock. I can reply STOP at any time.', 'storechat' );
}

/**
 * Enqueues the form's script and style on product pages of a connected store.
 */
function storechat_enqueue_notify_me(): void {
	if ( null === storechat_notify_me_product() ) {
		return;
	}
	$base = plugin_dir_url( STORECHAT_FILE ) . 'assets/';
	wp_enqueue_style( STORECHAT_NOTIFY_HANDLE, $base . 'notify-me.css', array(), STORECHAT_VERSION );
	// jQuery: WooCommerce's variation form announces its choice as jQuery events.
	wp_enqueue_script( STORECHAT_NOTIFY_HANDLE, $base . 'notify-me.js', array( 'jquery' ), STORECHAT_VERSION, true );
}

/**
 * Prints the button and form under the add-to-cart area, hidden unless sold out.
 */
function storechat_notify_me_form(): void {
	$product    = storechat_notify_me_product();
	$connection = storechat_connection();
	if ( null === $product || null === $connection ) {
		return;
	}
	$variable = $product->is_type( 'variable' );
	if ( ! $variable && $product->is_in_stock() ) {
		return; // A simple product in stock needs no button.
	}
	$endpoint = $connection['url'] . '/widget/' . rawurlencode( $connection['store'] ) . '/notify';
	$text     = storechat_notify_me_consent_text();
	$field_id = 'storechat-notify-phone-' . $product->get_id();
	?>
	<div class="storechat-notify" data-storechat-notify
		data-endpoint="<?php echo esc_url( $endpoint ); ?>"
		data-sent="<?php echo esc_attr__( 'Almost done: send us the WhatsApp message to confirm.', 'storechat' ); ?>"
		data-confirm="<?php echo esc_attr__( 'Confirm on WhatsApp', 'storechat' ); ?>"
		data-error="<?php echo esc_attr__( 'Please check your number and tick the box.', 'storechat' ); ?>"
		<?php echo $variable ? 'hidden' : ''; ?>>
		<button type="button" class="storechat-notify__open" aria-expanded="false"><?php esc_html_e( 'Notify me on WhatsApp', 'storechat' ); ?></button>
		<form class="storechat-notify__form" hidden novalidate>
			<label class="storechat-notify__label" for="<?php echo esc_attr( $field_id ); ?>"><?php esc_html_e( 'Your WhatsApp number', 'storechat' ); ?></label>
			<input class="storechat-notify__phone" id="<?php echo esc_attr( $field_id ); ?>" type="tel" name="phone" autocomplete="tel" inputmode="tel" required>
			<label class="storechat-notify__consent">
				<input type="checkbox" name="consent" value="1" required>
				<span><?php echo esc_html( $text ); ?></span>
			</label>
			<input type="hidden" name="text" value="<?php echo esc_attr( $text ); ?>">
			<input type="hidden" name="variant" value="<?php echo esc_attr( $variable ? '' : (string) $product->get_id() ); ?>">
			<input type="hidden" name="page" value="<?php echo esc_attr( (string) wp_parse_url( get_permalink( $product->get_id() ), PHP_URL_PATH ) ); ?>">
			<input class="storechat-notify__trap" type="text" name="website" tabindex="-1" autocomplete="off" aria-hidden="true">
			<button type="submit" class="storechat-notify__submit"><?php esc_html_e( 'Notify me', 'storechat' ); ?></button>
			<p class="storechat-notify__status" role="status" aria-live="polite"></p>
		</form>
	</div>
	<?php
}
