// Process-wide signal settings.

#pragma once

namespace lts {

// Sets SIGPIPE to SIG_IGN for the process, once. Code that writes to sockets through a
// library that does not pass MSG_NOSIGNAL (hiredis) or before any EventLoop exists calls
// it; a peer that has gone away then yields EPIPE, not a dead process.
void IgnoreSigPipe();

}  // namespace lts
