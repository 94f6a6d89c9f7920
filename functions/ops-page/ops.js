'use strict';
// The operator page: plain DOM, no build step. Every value from the API is written with
// textContent, never as HTML, because payloads come from storefront users.
(function () {
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
  const functionKey = new URLSearchParams(location.search).get('code');
  const CUSTOMER_FIELDS = ['firstName', 'middleName', 'lastName', 'title', 'email', 'phone', 'language', 'organizationName'];

  const $ = (id) => document.getElementById(id);
  const state = { filter: {}, token: null, selected: null, etag: null, detail: null, channels: new Map() };

  async function api(path, options = {}) {
    const headers = Object.assign({ accept: 'application/json' }, options.headers || {});
    if (functionKey) headers['x-functions-key'] = functionKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, {
      method: options.method || 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((body && (body.detail || body.title)) || response.statusText);
      error.status = response.status;
      error.problem = body;
      throw error;
    }
    return { body, headers: response.headers, status: response.status };
  }

  function say(message, isError) {
    const status = $('status');
    status.textContent = message;
    status.classList.toggle('error', !!isError);
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of [].concat(children || [])) node.append(child);
    return node;
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '–');

  function badge(status) {
    return el('span', { className: 'badge ' + status, textContent: status });
  }

  function account(value) {
    return value ? el('span', { className: 'mono', textContent: value }) : el('span', { className: 'pending-sync', textContent: 'Pending sync' });
  }

  function duration(seconds) {
    if (seconds == null) return 'none';
    if (seconds < 120) return seconds + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    return Math.round(seconds / 3600) + ' h';
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(1) + ' s';
  }

  /** The loop in a few words: mode, what it does now, whether HQ takes writes. */
  function syncState(sync) {
    const parts = [sync.mode];
    if (!sync.running) parts.push('not running');
    else if (sync.loop) parts.push(sync.loop.state === 'idle' ? 'idle, next check within ' + sync.loop.idleDelaySeconds + ' s' : 'passing');
    else parts.push('running');
    if (!sync.hqAvailable) parts.push('HQ unavailable (servicing)');
    return parts.join(', ');
  }

  /** One line over every channel with a webhook: what waits, why the oldest waits, what went out. */
  function webhookState(w) {
    const parts = [w.pending + ' pending'];
    const stuck = w.channels.filter((c) => c.oldestPending && c.oldestPending.lastError);
    if (w.retrying) parts.push(w.retrying + ' retrying (' + stuck.map((c) => c.channelId + ': ' + c.oldestPending.lastError).join('; ') + ')');
    if (w.oldestPendingAgeSeconds !== null) parts.push('oldest ' + duration(w.oldestPendingAgeSeconds));
    parts.push(w.deliveredLastHour + ' delivered in the last hour');
    if (w.failed) parts.push(w.failed + ' given up');
    return parts.join(', ');
  }

  async function loadMetrics() {
    try {
      const { body: m } = await api('metrics');
      for (const status of ['Pending', 'Uploaded', 'Completed', 'Failed']) {
        document.querySelector('[data-metric="' + status + '"]').textContent = String(m.counts[status]);
      }
      document.querySelector('[data-metric="failedWaitingForOperator"]').textContent = String(m.failedWaitingForOperator);
      document.querySelector('[data-metric="oldestPending"]').textContent = duration(m.oldestPendingAgeSeconds);
      document.querySelector('[data-metric="queue"]').textContent = m.queue.queued + ' (' + m.queue.poisoned + ')';
      document.querySelector('[data-metric="lastRun"]').textContent = m.lastRun ? m.lastRun.status + ', ' + when(m.lastRun.startedAt) : 'none yet';
      const t = m.timeToHq;
      document.querySelector('[data-metric="timeToHq"]').textContent = t.samples
        ? seconds(t.p50Ms) + ' / ' + seconds(t.p99Ms) + ' (' + t.samples + ' in ' + t.window.minutes + ' min)'
        : 'no customer synchronized in ' + t.window.minutes + ' min';
      document.querySelector('[data-metric="sync"]').textContent = syncState(m.sync);
      $('webhooks-metric').hidden = m.webhooks.channels.length === 0;
      document.querySelector('[data-metric="webhooks"]').textContent = webhookState(m.webhooks);
    } catch (error) {
      say('Could not load the counts: ' + error.message, true);
    }
  }

  async function loadConfig() {
    try {
      const { body } = await api('config');
      const select = document.querySelector('select[name="channelId"]');
      for (const channel of body.channels) {
        state.channels.set(channel.id, channel);
        select.append(el('option', { value: channel.id, textContent: channel.name + ' (' + channel.mode + ')' }));
      }
    } catch (error) {
      say('Could not load the configuration: ' + error.message, true);
    }
  }

  function readFilter() {
    const form = $('filters');
    const filter = {};
    for (const name of ['status', 'channelId', 'entity', 'customerAccount', 'custAccountAsync', 'email', 'since']) {
      const value = form.elements[name].value.trim();
      if (!value) continue;
      filter[name] = name === 'since' ? new Date(value).toISOString() : value;
    }
    return filter;
  }

  async function loadList(append) {
    const params = new URLSearchParams(state.filter);
    if (append && state.token) params.set('continuationToken', state.token);
    say('Loading…');
    try {
      const { body } = await api('customer-sync-status?' + params.toString());
      const tbody = $('rows');
      if (!append) tbody.replaceChildren();
      for (const row of body.items) tbody.append(renderRow(row));
      state.token = body.continuationToken;
      $('more').hidden = !state.token;
      $('empty').hidden = tbody.children.length > 0;
      say(tbody.children.length + ' operation' + (tbody.children.length === 1 ? '' : 's') + ' shown' + (state.token ? '; more available' : '') + '.');
    } catch (error) {
      const details = error.problem && error.problem.errors ? ': ' + error.problem.errors.map((e) => e.path.slice(1) + ' ' + e.message).join('; ') : '';
      say('Could not load the list: ' + error.message + details, true);
    }
  }

  function renderRow(row) {
    const open = el('button', { type: 'button', className: 'link', textContent: when(row.createdAt) });
    open.setAttribute('aria-label', 'Open ' + row.entity + ' ' + row.operation + ' of ' + when(row.createdAt) + ', status ' + row.status);
    open.addEventListener('click', () => openDetail(row.operationId));
    const tr = el('tr', {}, [
      el('td', { textContent: row.channelName }),
      el('td', {}, [account(row.customerAccount)]),
      el('td', { className: 'mono', textContent: row.custAccountAsync || '–' }),
      el('td', {}, [open]),
      el('td', { textContent: row.entity }),
      el('td', { textContent: row.operation }),
      el('td', {}, [badge(row.status), row.attempts ? ' ' + row.attempts + '×' : '']),
      el('td', { className: 'error-text', textContent: row.lastError || '' }),
    ]);
    tr.dataset.operationId = row.operationId;
    if (row.operationId === state.selected) tr.classList.add('selected');
    return tr;
  }

  async function openDetail(operationId, keepStatus) {
    try {
      const { body: d, headers } = await api('customer-sync-status/' + encodeURIComponent(operationId));
      state.selected = operationId;
      state.etag = headers.get('etag');
      state.detail = d;
      for (const tr of $('rows').children) tr.classList.toggle('selected', tr.dataset.operationId === operationId);
      renderDetail(d);
      $('detail').hidden = false;
      document.querySelector('main').classList.add('with-detail');
      if (!keepStatus) {
        $('detail').focus();
        say('Opened ' + d.entity + ' ' + d.operation + ' (' + d.status + ').');
      }
    } catch (error) {
      say('Could not open the operation: ' + error.message, true);
    }
  }

  function renderDetail(d) {
    $('detail-title').textContent = d.entity + ' ' + d.operation + ' — ' + d.status;
    const fields = [
      ['Channel', d.channelName],
      ['Customer account', d.customerAccount || 'Pending sync'],
      ['Async customer account', d.custAccountAsync || '–'],
      ['Operation timestamp', when(d.createdAt)],
      ['Table', d.table],
      ['Status', d.status],
      ['Attempts', String(d.attempts)],
      ['Replication counter', String(d.replicationCounter)],
      ['Uploaded', when(d.uploadedAt)],
      ['Completed', when(d.completedAt)],
      ['Operation id', d.operationId],
    ];
    if (d.waitingReason) fields.push(['Waiting', d.waitingReason]);
    $('detail-fields').replaceChildren(...fields.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: v })]));
    $('change-summary').textContent =
      d.change.summary + (d.change.oldValuesFrom ? ' (old values from ' + (d.change.oldValuesFrom === 'hq' ? 'HQ' : 'the channel') + ')' : '');
    const show = (v) => (v === null || v === undefined ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    $('changes').tBodies[0].replaceChildren(
      ...d.change.changes.map((c) =>
        el('tr', {}, [el('th', { scope: 'row', textContent: c.field }), el('td', { textContent: show(c.old) }), el('td', { textContent: show(c.new) })]),
      ),
    );
    $('failure').hidden = !d.failure;
    if (d.failure) {
      $('failure-text').textContent =
        (d.failure.lastError || 'Failed') +
        ' — attempt ' +
        d.failure.attempts +
        ' of ' +
        d.failure.maxAttempts +
        '. ' +
        (d.failure.poison
          ? 'The message is kept in the poison queue.'
          : d.failure.retriesAutomatically
            ? 'Sync runs retry it automatically.'
            : 'Automatic retries are used up: fix it and Save, then Synchronize. Later operations of this customer wait behind it.');
    }
    renderEdit(d);
    $('synchronize').hidden = d.source !== 'staging' || d.poison;
    $('synchronize').disabled = d.status === 'Completed';
  }

  function renderEdit(d) {
    const form = $('edit');
    form.hidden = !d.editable;
    $('edit-errors').hidden = true;
    if (!d.editable) return;
    const names = d.entity === 'Customer' ? CUSTOMER_FIELDS.filter((n) => n in d.payload || d.operation !== 'Deactivate') : Object.keys(d.payload);
    const fields = names
      .filter((name) => !['addressId', 'contactId'].includes(name))
      .filter((name) => d.payload[name] === undefined || ['string', 'number', 'boolean'].includes(typeof d.payload[name]))
      .map((name) => {
        const input = el('input', { name, id: 'edit-' + name, value: d.payload[name] === undefined ? '' : String(d.payload[name]) });
        input.dataset.original = input.value;
        input.dataset.kind = typeof d.payload[name];
        return el('div', { className: 'field' }, [el('label', { htmlFor: input.id, textContent: name }), input]);
      });
    $('edit-fields').replaceChildren(...fields);
  }

  async function save(event) {
    event.preventDefault();
    const patch = {};
    for (const input of $('edit-fields').querySelectorAll('input')) {
      input.removeAttribute('aria-invalid');
      if (input.value === input.dataset.original) continue;
      const value = input.value.trim();
      patch[input.name] = value === '' ? null : input.dataset.kind === 'number' ? Number(value) : input.dataset.kind === 'boolean' ? value === 'true' : value;
    }
    if (Object.keys(patch).length === 0) return say('Nothing changed.');
    try {
      const { body, headers } = await api('customer-sync-status/' + encodeURIComponent(state.selected), {
        method: 'PATCH',
        headers: { 'if-match': state.etag },
        body: { payload: patch },
      });
      state.etag = headers.get('etag');
      renderDetail(body);
      await loadList(false);
      say('Saved. Select Synchronize to send it to HQ now.');
    } catch (error) {
      showErrors(error);
    }
  }

  function showErrors(error) {
    const list = $('edit-errors');
    const errors = (error.problem && error.problem.errors) || [];
    list.replaceChildren(...errors.map((e) => el('li', { textContent: e.path.replace(/^\/payload\//, '') + ': ' + e.message })));
    list.hidden = errors.length === 0;
    for (const e of errors) {
      const input = $('edit-' + e.path.replace(/^\/payload\//, ''));
      if (input) input.setAttribute('aria-invalid', 'true');
    }
    const hint = error.status === 412 ? ' Someone changed it meanwhile: it has been reloaded, apply your change again.' : '';
    say('Not saved: ' + error.message + hint, true);
    if (error.status === 412) openDetail(state.selected, true);
  }

  async function synchronize() {
    const button = $('synchronize');
    button.disabled = true;
    say('Synchronizing…');
    try {
      const { body } = await api('customer-sync-status/' + encodeURIComponent(state.selected) + '/synchronize', { method: 'POST' });
      await openDetail(state.selected, true);
      await Promise.all([loadList(false), loadMetrics()]);
      say('Synchronized: the operation is ' + body.operation.status + '.');
    } catch (error) {
      say('Could not synchronize: ' + error.message, true);
    } finally {
      button.disabled = state.detail && state.detail.status === 'Completed';
    }
  }

  async function runSync() {
    const button = $('run-sync');
    button.disabled = true;
    try {
      await api('sync/run', { method: 'POST' });
      say('Sync run started. Refresh in a moment to see its results.');
    } catch (error) {
      say(error.status === 409 ? 'A sync run is already running.' : 'Could not start a sync run: ' + error.message, error.status !== 409);
    } finally {
      button.disabled = false;
    }
  }

  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    state.filter = readFilter();
    loadList(false);
  });
  $('filters').addEventListener('reset', () => {
    state.filter = {};
    setTimeout(() => loadList(false));
  });
  $('more').addEventListener('click', () => loadList(true));
  $('refresh').addEventListener('click', () => Promise.all([loadList(false), loadMetrics()]));
  $('run-sync').addEventListener('click', runSync);
  $('edit').addEventListener('submit', save);
  $('synchronize').addEventListener('click', synchronize);
  $('close-detail').addEventListener('click', () => {
    $('detail').hidden = true;
    document.querySelector('main').classList.remove('with-detail');
    state.selected = null;
    for (const tr of $('rows').children) tr.classList.remove('selected');
    $('results').focus();
  });

  loadConfig();
  loadMetrics();
  loadList(false);
})();
