// What the floor servers (write_floor_server, fanout_floor_server) do as
// processes, the same way: their start, the file they append to, the line
// RetrodProcess waits for, and their stop.
#pragma once

#include <string>

namespace retro::bench {

// Turns off Abseil's lock-order checks, as retrod does (gRPC's mutexes are
// Abseil's, and the checks would otherwise run on every lock), and blocks
// SIGTERM and SIGINT for WaitForStopSignal. Call first, before any thread
// starts.
void PrepareFloorProcess();

// Opens the file at path for appending (created 0600), or prints why not
// and returns -1.
int OpenAppendOnly(const std::string& path);

// Logs "listening on HOST:PORT" to stderr, as retrod does, for
// RetrodProcess. listen is the --listen flag ("HOST:0").
void LogListening(const std::string& listen, int port);

// Returns once SIGTERM or SIGINT arrives.
void WaitForStopSignal();

}  // namespace retro::bench
