/**
 * The usage texts of `switchboard` and its three commands, which mirror the Python Event Source
 * library's `eventsource_listener`, `eventsource_client` and `eventsource_request`.
 */

export type CommandName = "listen" | "client" | "request";

export const MAIN_USAGE = `usage: switchboard <command> [options]

An actor-model realtime broker: WebSocket and Server-Sent Events.

commands:
  listen    run a broker (WebSocket on /ws, event streams on /events/<channel>)
  client    print a channel's events as they come, reconnecting when dropped
  request   post an event to a channel

Run \`switchboard <command> --help\` for a command's options.
`;

export const LISTEN_USAGE = `usage: switchboard listen [-h] [-H HOST] [-P PORT] [-d] [-j] [-k KEEPALIVE] [-i]
                          [--protocol separator|json] [--inspector] [--tcp PORT]
                          [--redis URL [--redis-prefix PREFIX]]
                          [--shutdown-timeout MS]

Runs a broker: WebSocket clients on ws://HOST:PORT/ws, event streams on
GET http://HOST:PORT/events/<channel>, events posted to
POST http://HOST:PORT/events/<channel>/<action> (as \`switchboard request\` does),
and with --tcp, TCP clients speaking one JSON frame per line.

options:
  -h, --help            show this help message and exit
  -H, --host HOST       host to bind on (default 127.0.0.1)
  -P, --port PORT       port to bind on (default 8899; 0 picks a free one)
  -d, --debug           log every actor transition to stderr
  -j, --json            send every event's data as JSON text
  -k, --keepalive KEEPALIVE
                        ms between keepalive comments on streams (default 15000)
  -i, --id              give events ids, so that reconnecting clients are sent
                        what they missed
  --protocol NAME       WebSocket clients' default protocol: separator (default)
                        or json
  --inspector           serve the live inspector at http://HOST:PORT/_inspect
  --redis URL           join the brokers sharing this Redis (redis://host:port):
                        broadcasts, room posts and joins reach their clients too;
                        refuses to start when Redis cannot be reached
  --redis-prefix PREFIX the cluster's name in Redis (default switchboard)
  --tcp PORT            also take TCP clients on PORT (0 picks a free one):
                        newline-delimited frames of the json protocol
  --shutdown-timeout MS how long the drain on SIGINT or SIGTERM may take
                        (default 10000); past it the process exits 0 anyway

WebSocket clients get what is posted to the channels they join by sending
  #join|<channel>  #leave|<channel>                        (separator protocol)
  {"type":"join","data":"<channel>"}  {"type":"leave",...} (json protocol)
answered #joined|<channel>, #left|<channel> (json: "joined", "left"); TCP
clients send the json ones. Other frames are ignored.

SIGINT or SIGTERM drains the broker: no new connections, frames already queued
delivered, every client closed (WebSocket and TCP code 1001, streams end), then
exit 0. A drain longer than --shutdown-timeout is cut short, still with exit 0;
a second signal quits at once.
`;

export const CLIENT_USAGE = `usage: switchboard client [-h] [-H HOST] [-P PORT] [-d] [-r RETRY] token

Subscribes to http://HOST:PORT/events/<token> and prints each event as one
\`<event> <data>\` line (multi-line data is printed as is). When the stream
drops it reconnects after RETRY ms with Last-Event-ID, so the server can replay
what was missed (it can when the broker gives ids: \`switchboard listen -i\`).

positional arguments:
  token                 the channel to listen to

options:
  -h, --help            show this help message and exit
  -H, --host HOST       host to connect to (default 127.0.0.1)
  -P, --port PORT       port to connect to (default 8899)
  -d, --debug           print event ids, connections and reconnections to stderr
  -r, --retry RETRY     ms to wait before reconnecting (default: what the server
                        says, else 3000)

SIGINT or SIGTERM exits 0.
`;

export const REQUEST_USAGE = `usage: switchboard request [-h] [-H HOST] [-P PORT] [-j] token action [data]

Posts event <action> with <data> to every client of channel <token> and prints
\`delivered <count>\`. Exits 1 with the server's message when it refuses (for
example a channel nobody listens to) or cannot be reached.

positional arguments:
  token                 the channel to post to
  action                the event name ([A-Za-z0-9_.:-], up to 64 characters);
                        \`close\` ends the channel's streams
  data                  the event's data (default: none); put \`--\` before data
                        that starts with a dash

options:
  -h, --help            show this help message and exit
  -H, --host HOST       host to connect to (default 127.0.0.1)
  -P, --port PORT       port to connect to (default 8899)
  -j, --json            send data as JSON (checked before sending)
`;

export const USAGE: Readonly<Record<CommandName, string>> = {
  listen: LISTEN_USAGE,
  client: CLIENT_USAGE,
  request: REQUEST_USAGE,
};

/** A command line that cannot be run as given: its message and usage go to stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}
