<?php
/**
 * Plugin Name:          StoreChat for WooCommerce
 * Description:          Connects your WooCommerce store to StoreChat: the WhatsApp chat widget, WhatsApp marketing consent at checkout, and signed cart events for abandoned-cart reminders.
 * Version:              1.1.0
 * Requires at least:    6.0
 * Requires PHP:         7.4
 * Author:               StoreChat
 * License:              GPLv2 or later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          storechat
 * WC requires at least: 8.0
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

define( 'STORECHAT_VERSION', '1.1.0' );
define( 'STORECHAT_FILE', __FILE__ );

require_once __DIR__ . '/includes/signing.php';
require_once __DIR__ . '/includes/connection-key.php';
require_once __DIR__ . '/includes/options.php';
require_once __DIR__ . '/includes/settings.php';
require_once __DIR__ . '/includes/widget.php';
require_once __DIR__ . '/includes/events.php';
require_once __DIR__ . '/includes/checkout.php';
require_once __DIR__ . '/includes/notify-me.php';

add_action(
	'before_woocommerce_init',
	static function () {
		// Order data goes through the WC_Order CRUD only, and the block checkout is handled.
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', STORECHAT_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', STORECHAT_FILE, true );
		}
	}
);
