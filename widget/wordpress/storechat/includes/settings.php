<?php
/**
 * The settings page: paste the connection key, edit the consent text, "Open StoreChat".
 *
 * Every form posts to admin-post.php with its own nonce and a capability check.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

add_action( 'admin_menu', 'storechat_add_settings_page' );
add_action( 'admin_post_storechat_save', 'storechat_handle_save' );
add_action( 'admin_post_storechat_disconnect', 'storechat_handle_disconnect' );
add_action( 'admin_post_storechat_open', 'storechat_handle_open' );
add_filter( 'plugin_action_links_' . plugin_basename( STORECHAT_FILE ), 'storechat_action_links' );

/**
 * Adds WooCommerce › StoreChat (or Settings › StoreChat without WooCommerce).
 */
function storechat_add_settings_page(): void {
	$title = __( 'StoreChat', 'storechat' );
	if ( class_exists( 'WooCommerce' ) ) {
		add_submenu_page( 'woocommerce', $title, $title, storechat_capability(), 'storechat', 'storechat_render_settings_page' );
	} else {
		add_options_page( $title, $title, storechat_capability(), 'storechat', 'storechat_render_settings_page' );
	}
}

/**
 * The settings page URL (admin-post.php requests do not build the admin menu, so no menu_page_url).
 *
 * @return string
 */
function storechat_settings_url(): string {
	return admin_url( class_exists( 'WooCommerce' ) ? 'admin.php?page=storechat' : 'options-general.php?page=storechat' );
}

/**
 * Adds "Settings" next to "Deactivate" on the Plugins screen.
 *
 * @param array $links Existing links.
 * @return array
 */
function storechat_action_links( $links ) {
	$settings = '<a href="' . esc_url( storechat_settings_url() ) . '">' . esc_html__( 'Settings', 'storechat' ) . '</a>';
	array_unshift( $links, $settings );
	return $links;
}

/**
 * Stops the request unless the user may manage StoreChat and the form's nonce is valid.
 *
 * @param string $action The nonce action of the form.
 */
function storechat_check_request( string $action ): void {
	if ( ! current_user_can( storechat_capability() ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to manage StoreChat.', 'storechat' ), '', array( 'response' => 403 ) );
	}
	check_admin_referer( $action );
}

/**
 * Shows a notice on the next page load, then returns to the settings page.
 *
 * @param string $type    'success' or 'error'.
 * @param string $message Plain text.
 */
function storechat_back_with_notice( string $type, string $message ): void {
	set_transient(
		'storechat_notice_' . get_current_user_id(),
		array(
			'type'    => $type,
			'message' => $message,
		),
		MINUTE_IN_SECONDS
	);
	wp_safe_redirect( storechat_settings_url() );
	exit;
}

/**
 * Saves the consent text and, when one was pasted, a new connection key.
 */
function storechat_handle_save(): void {
	storechat_check_request( 'storechat_save' );
	// A key wrapped over several lines by an e-mail client still parses.
	$key     = isset( $_POST['storechat_connection_key'] ) ? preg_replace( '/\s+/', '', sanitize_textarea_field( wp_unslash( $_POST['storechat_connection_key'] ) ) ) : '';
	$consent = isset( $_POST['storechat_consent_text'] ) ? sanitize_text_field( wp_unslash( $_POST['storechat_consent_text'] ) ) : '';
	update_option( STORECHAT_OPTION_CONSENT, $consent, false );
	if ( '' === $key ) {
		storechat_back_with_notice( 'success', __( 'Settings saved.', 'storechat' ) );
		return;
	}
	try {
		$connection = storechat_parse_connection_key( $key );
	} catch ( InvalidArgumentException $error ) {
		storechat_back_with_notice( 'error', $error->getMessage() );
		return;
	}
	// Autoloaded: every storefront page needs the URL and store key for the widget.
	update_option( STORECHAT_OPTION_CONNECTION, $connection, true );
	storechat_back_with_notice( 'success', __( 'Connected to StoreChat.', 'storechat' ) );
}

/**
 * Forgets the connection: the widget and cart events stop at once.
 */
function storechat_handle_disconnect(): void {
	storechat_check_request( 'storechat_disconnect' );
	delete_option( STORECHAT_OPTION_CONNECTION );
	storechat_back_with_notice( 'success', __( 'Disconnected from StoreChat.', 'storechat' ) );
}

/**
 * Sends the owner to StoreChat with a fresh signed sign-in link (valid five minutes, once).
 */
function storechat_handle_open(): void {
	storechat_check_request( 'storechat_open' );
	$connection = storechat_connection();
	if ( null === $connection ) {
		storechat_back_with_notice( 'error', __( 'Paste your connection key first.', 'storechat' ) );
		return;
	}
	$query = storechat_signin_query( $connection['store'], time(), wp_generate_password( 24, false ), $connection['secret'] );
	$host  = wp_parse_url( $connection['url'], PHP_URL_HOST );
	add_filter(
		'allowed_redirect_hosts',
		static function ( $hosts ) use ( $host ) {
			$hosts[] = $host;
			return $hosts;
		}
	);
	wp_safe_redirect( $connection['url'] . '/auth/wordpress?' . $query );
	exit;
}

/**
 * Renders the settings page. The secret is never printed, only its last four characters.
 */
function storechat_render_settings_page(): void {
	if ( ! current_user_can( storechat_capability() ) ) {
		return;
	}
	$connection = storechat_connection();
	$notice_key = 'storechat_notice_' . get_current_user_id();
	$notice     = get_transient( $notice_key );
	delete_transient( $notice_key );
	$post_url = admin_url( 'admin-post.php' );
	?>
	<div class="wrap">
		<h1><?php esc_html_e( 'StoreChat', 'storechat' ); ?></h1>
		<?php if ( is_array( $notice ) && isset( $notice['type'], $notice['message'] ) ) : ?>
			<div class="notice notice-<?php echo 'error' === $notice['type'] ? 'error' : 'success'; ?> is-dismissible"><p><?php echo esc_html( $notice['message'] ); ?></p></div>
		<?php endif; ?>

		<?php if ( $connection ) : ?>
			<p>
				<?php
				printf(
					/* translators: 1: StoreChat URL, 2: store key, 3: masked secret */
					esc_html__( 'Connected to %1$s as store %2$s (secret %3$s).', 'storechat' ),
					'<code>' . esc_html( $connection['url'] ) . '</code>',
					'<code>' . esc_html( $connection['store'] ) . '</code>',
					'<code>' . esc_html( storechat_mask_secret( $connection['secret'] ) ) . '</code>'
				);
				?>
			</p>
			<form method="post" action="<?php echo esc_url( $post_url ); ?>" target="_blank">
				<input type="hidden" name="action" value="storechat_open">
				<?php wp_nonce_field( 'storechat_open' ); ?>
				<?php submit_button( __( 'Open StoreChat', 'storechat' ), 'primary', 'submit', false ); ?>
			</form>
		<?php else : ?>
			<p><?php esc_html_e( 'Not connected. In StoreChat, open your WooCommerce store and copy its connection key.', 'storechat' ); ?></p>
		<?php endif; ?>

		<form method="post" action="<?php echo esc_url( $post_url ); ?>">
			<input type="hidden" name="action" value="storechat_save">
			<?php wp_nonce_field( 'storechat_save' ); ?>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="storechat_connection_key"><?php esc_html_e( 'Connection key', 'storechat' ); ?></label></th>
					<td>
						<textarea id="storechat_connection_key" name="storechat_connection_key" rows="3" class="large-text code" autocomplete="off" spellcheck="false" placeholder="sc1.…"></textarea>
						<p class="description">
							<?php
							echo esc_html(
								$connection
									? __( 'Leave empty to keep the current connection; paste a new key to replace it.', 'storechat' )
									: __( 'Paste the key that starts with "sc1.".', 'storechat' )
							);
							?>
						</p>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="storechat_consent_text"><?php esc_html_e( 'Checkout consent text', 'storechat' ); ?></label></th>
					<td>
						<input type="text" id="storechat_consent_text" name="storechat_consent_text" class="large-text" value="<?php echo esc_attr( storechat_consent_text() ); ?>">
						<p class="description"><?php esc_html_e( 'The label of the WhatsApp marketing checkbox at checkout. StoreChat records it with each consent.', 'storechat' ); ?></p>
					</td>
				</tr>
			</table>
			<?php submit_button(); ?>
		</form>

		<?php if ( $connection ) : ?>
			<form method="post" action="<?php echo esc_url( $post_url ); ?>">
				<input type="hidden" name="action" value="storechat_disconnect">
				<?php wp_nonce_field( 'storechat_disconnect' ); ?>
				<?php submit_button( __( 'Disconnect', 'storechat' ), 'delete', 'submit', false ); ?>
			</form>
		<?php endif; ?>
	</div>
	<?php
}
