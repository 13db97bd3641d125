// SPDX-License-Identifier: MIT
// TcpConnection: the options a socket sets on one connection (tcp_settings.hh's
// ConnectionOptions): TCP_NODELAY, TCP_CORK, SO_KEEPALIVE and its timings, TCP_USER_TIMEOUT. A
// connection reads the table's shared TcpSettings until an option changes one; then it keeps a
// copy of its own (own_settings_).
#include "stack/tcp/tcp_connection.hh"

namespace tapstack {

void TcpConnection::set_keepalive(bool on, Instant now) {
    keepalive_ = on;
    keepalive_probes_ = 0;
    if (on) restart_keepalive(now);
    else keepalive_timer_.disarm();
}

void TcpConnection::set_nodelay(bool on) {
    nodelay_ = on;
    // Linux's TCP_NAGLE_PUSH: setting it sends what waits at once, corked or not.
    push_now_ = push_now_ || on;
}

void TcpConnection::set_cork(bool on) {
    corked_ = on;
    // Uncorked, what waits goes at once; past Nagle too when it is off (Linux's TCP_NAGLE_PUSH).
    if (!on) push_now_ = push_now_ || nodelay_;
}

void TcpConnection::set_options(const ConnectionOptions& change, Instant now) {
    // The rings and the MSS stay as the open made them: the SYN announced them.
    if (change.changes_settings() && !own_settings_) {
        own_settings_ = std::make_unique<TcpSettings>(*settings_);
        settings_ = own_settings_.get();
    }
    if (own_settings_) {
        TcpSettings next = change.applied_to(*own_settings_);
        own_settings_->keepalive = next.keepalive;
        own_settings_->user_timeout = next.user_timeout;
    }
    if (change.nodelay) set_nodelay(*change.nodelay);
    if (change.cork) set_cork(*change.cork);
    if (change.keepalive || change.keepalive_idle || change.keepalive_interval || change.keepalive_probes)
        set_keepalive(change.keepalive.value_or(keepalive_), now);  // its timer starts again
}

}  // namespace tapstack
