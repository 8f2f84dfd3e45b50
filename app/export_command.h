#pragma once

#include <QStringList>

namespace peerscope {

// `peerscope export --format json|csv|prometheus|pdf --out FILE [--api [https://]HOST:PORT]
//  [--api-tls-ca FILE] [--data-dir DIR] [--token-file FILE] [--timeout SECONDS]`, for scripts:
// fetches the report from a running node's control API (GET /api/v1/export, bearer token from
// <data dir>/api-token; over HTTPS for a node with --api-tls-cert, trusting the system's CAs or
// those of --api-tls-ca) and replaces FILE atomically. The PDF is rendered here from the node's
// JSON report, its Prometheus counters and /api/v1/node, with the same writer as the GUI's export.
// `arguments` is argv as given ("peerscope", "export", ...). It creates its own application
// object, so call it before any exists. Returns the exit code: 0 written, 1 the node, the API
// or the file failed (the message names the HTTP status and the API's error), 2 bad usage (the
// message names the option and the bad part). Messages go to stderr; --help to stdout.
int runExportCommand(const QStringList& arguments);

} // namespace peerscope
