/**
 * Baseline: a bare `ws` server broadcasting with the naive loop every
 * tutorial shows, `for (const c of wss.clients) c.send(data)`: each send
 * frames the message again. It is the row every ratio is taken against.
 */
import { serve } from "./harness.js";
import { startWsServer } from "./ws-base.js";

serve((mode) =>
  startWsServer("raw ws", mode, (targets, data) => {
    for (const client of targets) client.send(data, { binary: false });
  }),
);
