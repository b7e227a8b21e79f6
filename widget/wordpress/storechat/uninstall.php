<?php
/**
 * Deleting the plugin removes its options and the carts kept for restore links.
 *
 * Order meta (_storechat_*) stays: it is the record of what each shopper agreed to.
 *
 * @package StoreChat
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

/**
 * Deletes this site's StoreChat options and transients.
 */
function storechat_uninstall_site(): void {
	global $wpdb;
	delete_option( 'storechat_connection' );
	delete_option( 'storechat_consent_text' );
	// Transients have no "delete by prefix"; they are rows in the options table.
	$wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- one-off clean-up on uninstall.
		$wpdb->prepare(
			"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( '_transient_storechat_' ) . '%',
			$wpdb->esc_like( '_transient_timeout_storechat_' ) . '%'
		)
	);
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $storechat_site_id ) {
		switch_to_blog( $storechat_site_id );
		storechat_uninstall_site();
		restore_current_blog();
	}
} else {
	storechat_uninstall_site();
}
