/**
 * The inspector page. It loads only `/_inspect/style.css` and `/_inspect/app.js` from the
 * broker (no CDN, no inline script: the route's Content-Security-Policy forbids both), and the
 * script fills it from `/_inspect/snapshot`, `/_inspect/machines` and the `/_inspect/feed` stream.
 *
 * Stable hooks for tests: `#count-*`, the table labelled "Connections" (rows carry
 * `data-connection-id`, state cells `data-cell="state"`), `svg[data-machine]` with
 * `g[data-state-path]` nodes (class `active` when lit), `#event-log` rows with `data-type`.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>switchboard inspector</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_inspect/style.css">
<script src="/_inspect/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1>switchboard <span>inspector</span></h1>
  <dl class="counts" aria-label="Counts" aria-live="polite">
    <div><dt>connections</dt><dd id="count-connections">0</dd></div>
    <div><dt>rooms</dt><dd id="count-rooms">0</dd></div>
    <div><dt>timers</dt><dd id="count-timers">0</dd></div>
    <div><dt>events/s</dt><dd id="count-rate">0</dd></div>
  </dl>
  <p id="feed-status" class="status" role="status" data-status="connecting">connecting…</p>
</header>
<main>
  <section class="panel connections" aria-labelledby="connections-title">
    <h2 id="connections-title">Connections</h2>
    <div class="scroll">
      <table id="connections" aria-label="Connections">
        <thead>
          <tr>
            <th scope="col">id</th><th scope="col">transport</th><th scope="col">codec</th>
            <th scope="col">address</th><th scope="col">rooms</th><th scope="col">state</th>
            <th scope="col">description</th>
          </tr>
        </thead>
        <tbody id="connection-rows"></tbody>
      </table>
      <p id="no-connections" class="empty">No connections.</p>
    </div>
  </section>

  <section class="panel supervisor" id="supervisor" aria-labelledby="supervisor-title">
    <h2 id="supervisor-title"><button type="button" id="select-supervisor" class="link" aria-pressed="true">Supervisor</button></h2>
    <p>state <strong id="supervisor-state" data-cell="state">…</strong> <span id="supervisor-description" class="description"></span></p>
    <h3>Rooms</h3>
    <ul id="rooms" aria-label="Rooms"></ul>
    <h3>Timers</h3>
    <ul id="timers" aria-label="Timers"></ul>
  </section>

  <section class="panel diagrams" aria-labelledby="diagrams-title">
    <h2 id="diagrams-title">State machines</h2>
    <p class="selected">selected: <strong id="selected-actor">supervisor</strong>
      in <strong id="selected-state" data-cell="state">…</strong>
      <span id="selected-description" class="description"></span></p>
    <figure>
      <figcaption>connection</figcaption>
      <div id="diagram-connection" class="diagram"></div>
    </figure>
    <figure>
      <figcaption>supervisor</figcaption>
      <div id="diagram-supervisor" class="diagram"></div>
    </figure>
  </section>

  <section class="panel log" aria-labelledby="log-title">
    <h2 id="log-title">Events</h2>
    <form class="filters" id="filters" role="search" aria-label="Filter events">
      <label>client id <input id="filter-client" name="client" type="search" autocomplete="off"></label>
      <label>room <input id="filter-room" name="room" type="search" autocomplete="off"></label>
      <label>event type <input id="filter-type" name="type" type="search" autocomplete="off" list="event-types"></label>
      <datalist id="event-types"></datalist>
      <button type="button" id="pause" aria-pressed="false">Pause</button>
      <button type="button" id="clear">Clear</button>
    </form>
    <p id="payload-note" class="note" hidden>Message payloads are hidden (enable with <code>inspector: { payloads: true }</code>).</p>
    <ol id="event-log" class="events" aria-label="Event log"></ol>
  </section>

  <section class="panel actor-events" aria-labelledby="actor-events-title">
    <h2 id="actor-events-title">Last events of <span id="actor-events-name">supervisor</span></h2>
    <ol id="actor-events" class="events" aria-label="Selected actor events"></ol>
  </section>
</main>
</body>
</html>
`;
