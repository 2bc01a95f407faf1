// Running a node in the foreground until SIGINT or SIGTERM (lts jobtracker, tasktracker,
// standalone, admin).
//
//   BlockTerminationSignals();       // First, before any thread starts.
//   ... start the node ...
//   int signo = WaitForTerminationSignal();
//   ... stop the node ...

#pragma once

namespace lts::cli {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, so that every thread started
// afterwards inherits the mask and the signals wait for WaitForTerminationSignal().
// SIGPIPE is ignored (a peer closing a socket is an error return, not a death).
void BlockTerminationSignals();

// Waits for SIGINT or SIGTERM (SIGHUP too) and returns its number.
int WaitForTerminationSignal();

}  // namespace lts::cli
