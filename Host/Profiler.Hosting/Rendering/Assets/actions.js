/* The web shell's trace actions (not in trace show --html): pin, unpin and delete through the API. */
(function () {
  'use strict';
  var bar = document.getElementById('trace-actions');
  if (!bar) return;
  var api = bar.getAttribute('data-api');
  var list = bar.getAttribute('data-list');
  var status = document.getElementById('action-status');
  var key = null;

  function say(text) { status.textContent = text; }

  function askKey() {
    var given = window.prompt('This server requires its ingest key for this action. Ingest key:');
    if (!given) { say('Cancelled: the ingest key is required.'); return false; }
    key = given;
    return true;
  }

  function call(method, path, done, retried) {
    if (bar.getAttribute('data-key-required') === 'true' && key === null && !askKey()) return;
    var headers = {};
    if (key !== null) headers['X-Profiler-Ingest-Key'] = key;
    say('Working…');
    fetch(api + path, { method: method, headers: headers, credentials: 'same-origin' }).then(function (response) {
      if (response.status === 401 && !retried) {
        key = null;
        if (askKey()) call(method, path, done, true);
        return;
      }
      if (!response.ok) {
        response.json().then(function (problem) { say(problem.detail || ('Failed: HTTP ' + response.status)); },
          function () { say('Failed: HTTP ' + response.status); });
        return;
      }
      done();
    }, function (error) { say('Failed: ' + error.message); });
  }

  document.getElementById('pin').addEventListener('click', function () {
    call('PUT', '/pin', function () { say('Pinned: kept by retention and prune.'); });
  });
  document.getElementById('unpin').addEventListener('click', function () {
    call('DELETE', '/pin', function () { say('Unpinned.'); });
  });
  document.getElementById('delete').addEventListener('click', function () {
    if (!window.confirm('Delete this trace? This cannot be undone.')) return;
    call('DELETE', '', function () { say('Deleted.'); window.location.href = list; });
  });
})();
