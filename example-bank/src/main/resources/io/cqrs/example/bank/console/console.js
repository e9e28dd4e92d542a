// The bank console: plain JavaScript against the bank's JSON API, with the user's HTTP Basic
// credentials kept in memory only (a reload signs out). Everything shown is written as text
// (textContent), never as markup, and the server's content security policy forbids inline script.
'use strict';

(() => {
  const POLL_MILLIS = 1000;
  const OPERATIONS_EVERY = 2; // polls
  const COMMAND_POLL_MILLIS = 400;
  const COMMAND_POLL_PATIENT_MILLIS = 5000; // once a command has been pending for a while
  const COMMAND_PATIENCE_MILLIS = 30000;
  const SEND_ATTEMPTS = 3;
  const HISTORY_SHOWN = 100; // an account's last events; the API answers pages of its history

  const state = {
    user: null,
    authorization: null,
    admin: false,
    accounts: new Map(), // id -> account JSON
    accountsText: null,
    transfersText: null,
    historyOf: null,
    historyVersion: -1,
    polls: 0,
    timer: null,
  };

  const $ = (id) => document.getElementById(id);

  // ---- the API

  class Problem extends Error {
    constructor(status, body) {
      super((body && body.detail) || 'HTTP ' + status);
      this.status = status;
      this.code = body && body.code;
      this.field = body && body.field;
    }
  }

  function base64(text) {
    let binary = '';
    for (const byte of new TextEncoder().encode(text)) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary);
  }

  /** One call; resolves to {status, body, location}, rejects with a Problem for 4xx and 5xx. */
  async function api(method, path, body, headers = {}) {
    const init = {
      method,
      headers: Object.assign(
        {Accept: 'application/json', 'X-Requested-With': 'cqrs-console'}, headers),
      // A GET revalidates its cached copy: an unchanged read model answers 304 without a body.
      cache: method === 'GET' ? 'no-cache' : 'no-store',
      credentials: 'omit',
    };
    if (state.authorization) {
      init.headers.Authorization = state.authorization;
    }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch (e) {
        json = null;
      }
    }
    if (!response.ok) {
      throw new Problem(response.status, json);
    }
    return {status: response.status, body: json, location: response.headers.get('Location')};
  }

  /** A random Idempotency-Key: a retried send is the same command and takes effect once. */
  function idempotencyKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // ---- small DOM helpers (text only)

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text == null ? '' : String(text);
    if (className) {
      td.className = className;
    }
    row.appendChild(td);
    return td;
  }

  function button(text, label, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.textContent = text;
    if (label) {
      b.setAttribute('aria-label', label);
    }
    b.addEventListener('click', onClick);
    return b;
  }

  function money(value) {
    const number = Number(value);
    return Number.isFinite(number) ? number.toFixed(2) : String(value);
  }

  function time(instant) {
    const date = new Date(instant);
    return Number.isNaN(date.getTime()) ? String(instant) : date.toLocaleString();
  }

  // ---- sign in and out

  async function signIn(event) {
    event.preventDefault();
    const user = $('user').value.trim();
    const secret = $('secret').value;
    const error = $('sign-in-error');
    error.textContent = '';
    if (!user || !secret) {
      error.textContent = 'Enter your user name and secret.';
      return;
    }
    state.authorization = 'Basic ' + base64(user + ':' + secret);
    try {
      await api('GET', '/accounts');
    } catch (e) {
      state.authorization = null;
      error.textContent = e.status === 401 ? 'Wrong user name or secret.' : e.message;
      $('secret').focus();
      return;
    }
    state.user = user;
    $('secret').value = '';
    $('who').textContent = user;
    $('session').hidden = false;
    $('sign-in').hidden = true;
    $('app').hidden = false;
    try {
      const ready = await api('GET', '/ready');
      state.admin = Boolean(ready.body && ready.body.processors);
    } catch (e) {
      // 503 carries the brief report only; an administrator's details come with the next poll.
      state.admin = false;
    }
    $('operations').hidden = !state.admin;
    await poll();
    $('main').focus();
  }

  function signOut() {
    clearTimeout(state.timer);
    Object.assign(state, {
      user: null, authorization: null, admin: false, accounts: new Map(), accountsText: null,
      transfersText: null, historyOf: null, historyVersion: -1, polls: 0, timer: null,
    });
    $('commands').replaceChildren();
    for (const id of ['accounts', 'transfers', 'history-table', 'processors']) {
      $(id).tBodies[0].replaceChildren();
    }
    for (const id of ['accounts-more', 'transfers-more', 'history-more']) {
      $(id).hidden = true;
    }
    $('history').hidden = true;
    $('app').hidden = true;
    $('session').hidden = true;
    $('sign-in').hidden = false;
    $('user').focus();
  }

  // ---- live read models

  async function poll() {
    clearTimeout(state.timer);
    if (!state.authorization) {
      return;
    }
    try {
      await refreshAccounts();
      await refreshTransfers();
      if (state.historyOf) {
        await refreshHistory(false);
      }
      if (state.admin && state.polls % OPERATIONS_EVERY === 0) {
        await refreshOperations();
      }
      $('live').textContent = 'Read models as of ' + new Date().toLocaleTimeString();
    } catch (e) {
      if (e.status === 401) {
        signOut();
        $('sign-in-error').textContent = 'Signed out: the server no longer accepts the secret.';
        return;
      }
      $('live').textContent = 'Could not reach the bank (' + e.message + '); retrying';
    }
    state.polls++;
    state.timer = setTimeout(poll, POLL_MILLIS);
  }

  async function refreshAccounts() {
    const reply = await api('GET', '/accounts');
    const text = JSON.stringify(reply.body);
    if (text === state.accountsText) {
      return;
    }
    state.accountsText = text;
    const items = reply.body.items;
    const previous = state.accounts;
    state.accounts = new Map(items.map((a) => [a.id, a]));
    const body = $('accounts').tBodies[0];
    const rows = new Map(Array.from(body.rows, (r) => [r.dataset.accountId, r]));
    for (const account of items) {
      let row = rows.get(account.id);
      if (!row) {
        row = accountRow(account);
        body.appendChild(row);
      }
      rows.delete(account.id);
      const before = previous.get(account.id);
      fillAccountRow(row, account);
      if (before && before.version !== account.version) {
        row.classList.remove('changed');
        void row.offsetWidth; // restarts the highlight
        row.classList.add('changed');
      }
    }
    rows.forEach((row) => row.remove());
    $('accounts-empty').hidden = items.length > 0;
    showMore('accounts-more', reply.body.next, items.length, 'accounts');
    const unreadable = reply.body.unreadable || [];
    $('accounts-unreadable').textContent = unreadable.length
      ? unreadable.length + ' account document(s) could not be read: '
        + unreadable.map((u) => u.id).join(', ')
      : '';
    fillAccountChoices(items);
  }

  function accountRow(account) {
    const row = document.createElement('tr');
    row.dataset.accountId = account.id;
    cell(row, account.id, 'id');
    cell(row, '', 'holder');
    cell(row, '', 'num balance');
    cell(row, '', 'num version');
    cell(row, '', 'state');
    const actions = cell(row, '');
    actions.appendChild(
      button('History', 'History of account ' + account.id, () => showHistory(account.id)));
    return row;
  }

  function fillAccountRow(row, account) {
    const [, holder, balance, version, accountState] = row.cells;
    holder.textContent = account.firstName + ' ' + account.lastName;
    balance.textContent = money(account.balance);
    version.textContent = account.version;
    accountState.textContent = account.closed ? 'closed' : 'open';
  }

  function fillAccountChoices(items) {
    const open = items.filter((a) => !a.closed && (state.admin || a.owner === state.user));
    for (const id of ['money-account', 'transfer-from']) {
      const select = $(id);
      const chosen = select.value;
      select.replaceChildren(
        ...open.map((a) => {
          const option = document.createElement('option');
          option.value = a.id;
          option.textContent = a.firstName + ' ' + a.lastName + ' (' + a.id + ')';
          return option;
        }));
      if (open.some((a) => a.id === chosen)) {
        select.value = chosen;
      }
    }
    $('known-accounts').replaceChildren(
      ...items.map((a) => {
        const option = document.createElement('option');
        option.value = a.id;
        option.textContent = a.firstName + ' ' + a.lastName;
        return option;
      }));
  }

  async function refreshTransfers() {
    const reply = await api('GET', '/transfers');
    const text = JSON.stringify(reply.body);
    if (text === state.transfersText) {
      return;
    }
    state.transfersText = text;
    const items = reply.body.items;
    const body = $('transfers').tBodies[0];
    body.replaceChildren(
      ...items.map((t) => {
        const row = document.createElement('tr');
        row.dataset.transferId = t.id;
        cell(row, t.id, 'id');
        cell(row, t.fromAccountId, 'id');
        cell(row, t.toAccountId, 'id');
        cell(row, money(t.amount), 'num');
        cell(row, String(t.state).toLowerCase(), 'state');
        cell(row, t.reason || '', 'reason');
        return row;
      }));
    $('transfers-empty').hidden = items.length > 0;
    showMore('transfers-more', reply.body.next, items.length, 'transfers');
  }

  // A listing answers one page (the API's first 100, by id); a console that fetched every page
  // each second would read the whole read model as often.
  function showMore(id, next, shown, what) {
    $(id).hidden = !next;
    $(id).textContent = next ? 'Showing the first ' + shown + ' ' + what + ' by id; there are more.' : '';
  }

  // ---- history

  async function showHistory(accountId) {
    state.historyOf = accountId;
    state.historyVersion = -1;
    $('history-title').textContent = 'History of ' + accountId;
    $('history').hidden = false;
    await refreshHistory(true);
    $('history-title').focus();
  }

  async function refreshHistory(force) {
    const account = state.accounts.get(state.historyOf);
    const version = account ? account.version : -1;
    if (!force && version === state.historyVersion) {
      return;
    }
    // The page after (version - HISTORY_SHOWN) ends at the last event the account's listing knows
    // of; an account the listing does not show (beyond its first page) starts from the first.
    const after = Math.max(0, version - HISTORY_SHOWN);
    const reply = await api('GET', '/accounts/' + encodeURIComponent(state.historyOf)
      + '/history?after=' + after + '&limit=' + HISTORY_SHOWN);
    state.historyVersion = version;
    const notes = [];
    if (after > 0) {
      notes.push(after + ' earlier events are not shown.');
    }
    if (reply.body.next) {
      notes.push('Later events follow these.');
    }
    $('history-more').hidden = notes.length === 0;
    $('history-more').textContent = notes.length === 0 ? ''
      : 'Showing ' + reply.body.items.length + ' events. ' + notes.join(' ');
    $('history-table').tBodies[0].replaceChildren(
      ...reply.body.items.map((e) => {
        const row = document.createElement('tr');
        row.dataset.version = e.version;
        cell(row, e.version, 'num');
        cell(row, e.type, 'type');
        cell(row, time(e.created));
        cell(row, e.correlationId, 'id correlation');
        cell(row, e.causationId, 'id causation');
        cell(row, JSON.stringify(e.event), 'mono');
        return row;
      }));
  }

  // ---- operations (administrators)

  async function refreshOperations() {
    let report;
    try {
      report = (await api('GET', '/ready')).body;
    } catch (e) {
      report = null;
      $('readiness').textContent = 'Not ready: ' + e.message;
    }
    if (report) {
      $('readiness').textContent = report.status === 'ready'
        ? 'This instance is ready.'
        : 'Not ready: ' + (report.reasons || []).join('; ');
      $('processors').tBodies[0].replaceChildren(
        ...(report.processors || []).map((p) => {
          const row = document.createElement('tr');
          row.dataset.processor = p.name;
          cell(row, p.name);
          cell(row, p.lag == null ? 'n/a' : p.lag, 'num lag');
          cell(row, p.failure ? 'stopped: ' + p.failure : p.paused ? 'paused' : 'running');
          return row;
        }));
      const relay = report.relay;
      $('relay').textContent = relay
        ? 'Relay: ' + (relay.leader ? 'led by this instance' : 'led elsewhere')
          + (relay.lag == null ? '' : ', ' + relay.lag + ' behind the log')
        : 'Relay: none runs here.';
    }
    await refreshDeadLetters();
  }

  async function refreshDeadLetters() {
    const box = $('dead-letters');
    let letters;
    try {
      letters = (await api('GET', '/admin/dead-letters')).body;
    } catch (e) {
      box.replaceChildren(paragraph('Dead letters could not be read: ' + e.message, 'error'));
      return;
    }
    const parts = [];
    const queues = letters.queues || [];
    const processors = letters.processors || [];
    if (!queues.some((q) => q.count > 0) && processors.length === 0) {
      parts.push(paragraph('None: every message and event was handled.', 'muted'));
    }
    for (const queue of queues) {
      if (queue.error) {
        parts.push(paragraph('The ' + queue.bus + ' bus\'s ' + queue.name
          + ' dead letters could not be read: ' + queue.error, 'error'));
        continue;
      }
      if (queue.count === 0) {
        continue;
      }
      const section = document.createElement('div');
      section.className = 'dead-queue';
      section.dataset.queue = queue.bus + '/' + queue.name;
      section.appendChild(paragraph(
        queue.count + ' dead letter(s) of the ' + queue.bus + ' bus\'s ' + queue.name, null));
      const list = document.createElement('ul');
      for (const item of queue.items || []) {
        const li = document.createElement('li');
        li.textContent = item.type + ' ' + item.messageId + ': ' + (item.reason || 'no reason')
          + (item.failure ? ': ' + item.failure : '')
          + (item.attempts ? ' (' + item.attempts + ' attempts)' : '');
        list.appendChild(li);
      }
      section.appendChild(list);
      if (queue.more > 0) {
        section.appendChild(paragraph('and ' + queue.more + ' more', 'muted'));
      }
      section.appendChild(button('Replay', 'Replay the dead letters of ' + queue.name, () =>
        replay('/admin/dead-letters/queues/' + encodeURIComponent(queue.bus) + '/'
          + encodeURIComponent(queue.name) + '/replay', 'Replay ' + queue.name)));
      parts.push(section);
    }
    if (processors.length > 0) {
      const list = document.createElement('ul');
      list.className = 'dead-events';
      for (const failure of processors) {
        const li = document.createElement('li');
        li.dataset.failureId = failure.id;
        li.appendChild(document.createTextNode(
          failure.processor + ' failed on ' + failure.eventType + ' ' + failure.sourceId + ' v'
          + failure.version + ': ' + failure.errorType + ': ' + (failure.message || '') + ' '));
        li.appendChild(button('Replay', 'Replay ' + failure.eventType + ' for '
          + failure.processor, () => replay('/admin/dead-letters/processors/'
          + encodeURIComponent(failure.id) + '/replay', 'Replay ' + failure.eventType)));
        list.appendChild(li);
      }
      parts.push(list);
    }
    box.replaceChildren(...parts);
  }

  function paragraph(text, className) {
    const p = document.createElement('p');
    p.textContent = text;
    if (className) {
      p.className = className;
    }
    return p;
  }

  async function replay(path, label) {
    const entry = commandEntry(label);
    try {
      const reply = await api('POST', path);
      settle(entry, 'succeeded',
        reply.body && reply.body.replayed != null ? reply.body.replayed + ' replayed' : 'replayed');
    } catch (e) {
      settle(entry, 'rejected', e.message);
    }
    await refreshOperations();
  }

  // ---- commands

  function commandEntry(label) {
    const li = document.createElement('li');
    const status = document.createElement('span');
    status.className = 'status sending';
    status.textContent = 'sending';
    const text = document.createElement('span');
    text.className = 'label';
    text.textContent = ' ' + label + ' ';
    const detail = document.createElement('span');
    detail.className = 'detail';
    li.append(status, text, detail);
    li.dataset.status = 'sending';
    $('commands').prepend(li);
    return li;
  }

  function settle(li, status, detail, commandId) {
    li.dataset.status = status;
    if (commandId) {
      li.dataset.commandId = commandId;
    }
    const badge = li.querySelector('.status');
    badge.className = 'status ' + status;
    badge.textContent = status;
    li.querySelector('.detail').textContent = detail || '';
  }

  function describe(status) {
    if (status.status === 'succeeded') {
      return status.version == null ? 'nothing to change' : 'version ' + status.version;
    }
    if (status.status === 'rejected') {
      return status.rejection ? status.rejection.detail : 'rejected';
    }
    return 'waiting for a worker';
  }

  /**
   * Sends a command with a fresh Idempotency-Key, retrying on a network failure with the same key,
   * and follows it to its outcome: at once when the server ran it, else by its status resource.
   */
  async function send(label, path, body) {
    const li = commandEntry(label);
    const headers = {'Idempotency-Key': idempotencyKey()};
    let reply = null;
    for (let attempt = 1; reply === null; attempt++) {
      try {
        reply = await api('POST', path, body, headers);
      } catch (e) {
        if (e instanceof Problem) {
          settle(li, 'rejected', e.message);
          return false;
        }
        if (attempt >= SEND_ATTEMPTS) {
          settle(li, 'failed', 'The bank could not be reached: ' + e.message);
          return false;
        }
      }
    }
    let status = reply.body;
    settle(li, status.status, describe(status), status.commandId);
    const sent = Date.now();
    while (status.status === 'pending' && state.authorization) {
      const patient = Date.now() - sent > COMMAND_PATIENCE_MILLIS;
      await new Promise((resolve) =>
        setTimeout(resolve, patient ? COMMAND_POLL_PATIENT_MILLIS : COMMAND_POLL_MILLIS));
      try {
        status = (await api('GET', '/commands/' + encodeURIComponent(status.commandId))).body;
      } catch (e) {
        settle(li, 'pending', 'status unknown for now: ' + e.message, status.commandId);
        continue;
      }
      settle(li, status.status, describe(status), status.commandId);
    }
    poll();
    return status.status === 'succeeded';
  }

  async function submitting(form, work) {
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    try {
      return await work();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function onMoney(event) {
    event.preventDefault();
    const form = event.target;
    const operation = (event.submitter && event.submitter.value) || 'credit';
    const account = $('money-account').value;
    const amount = $('money-amount').value.trim();
    const label = (operation === 'credit' ? 'Deposit ' : 'Withdraw ') + amount + ' '
      + (operation === 'credit' ? 'to ' : 'from ') + account;
    submitting(form, () => send(label, '/accounts/' + encodeURIComponent(account) + '/'
      + operation, {amount}));
  }

  function onTransfer(event) {
    event.preventDefault();
    const from = $('transfer-from').value;
    const to = $('transfer-to').value.trim();
    const amount = $('transfer-amount').value.trim();
    submitting(event.target, () => send('Transfer ' + amount + ' from ' + from + ' to ' + to,
      '/transfers', {fromAccountId: from, toAccountId: to, amount}));
  }

  function onOpen(event) {
    event.preventDefault();
    const form = event.target;
    const body = {
      firstName: $('open-first').value.trim(),
      lastName: $('open-last').value.trim(),
      email: $('open-email').value.trim(),
      password: $('open-password').value,
    };
    const balance = $('open-balance').value.trim();
    if (balance) {
      body.initialBalance = balance;
    }
    submitting(form, async () => {
      if (await send('Open an account for ' + body.firstName + ' ' + body.lastName, '/accounts',
        body)) {
        form.reset();
      }
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('money-form').addEventListener('submit', onMoney);
    $('transfer-form').addEventListener('submit', onTransfer);
    $('open-form').addEventListener('submit', onOpen);
    $('user').focus();
  });
})();
