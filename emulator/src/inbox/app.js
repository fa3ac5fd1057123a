// The GraphMail emulator's web inbox. Everything a message holds is put into the page with
// textContent or as attribute values, never as markup; the HTML body is shown only in a
// sandboxed iframe served with its own Content-Security-Policy.
'use strict';

(function () {
  const API = '/_emulator/inbox';
  const LONG_POLL_SECONDS = 25;
  const $ = (id) => document.getElementById(id);

  let version = null;
  let query = '';
  let poller = null;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function formatAddress(a) {
    if (!a) return '';
    return a.name ? `${a.name} <${a.address}>` : a.address;
  }

  function formatAddresses(list) {
    return (list || []).map(formatAddress).join(', ');
  }

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }

  async function getJSON(url, signal) {
    const response = await fetch(url, { signal, cache: 'no-store' });
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  // ----- the list -------------------------------------------------------------------------

  function renderList(data) {
    const rows = data.messages.map((m) => {
      const row = el('tr');
      row.dataset.id = m.id;
      row.tabIndex = 0;
      const time = el('td', formatTime(m.receivedAt), 'time');
      time.title = m.receivedAt;
      row.append(
        time,
        el('td', formatAddress(m.from), 'from'),
        el('td', formatAddresses(m.to), 'to'),
        el('td', m.subject || '(no subject)', 'subject'),
        el('td', formatSize(m.size), 'num size'),
      );
      const files = m.attachments.filter((a) => !a.isInline);
      const cell = el('td', files.map((a) => a.name).join(', '), 'attachments');
      cell.title = files.map((a) => `${a.name} (${formatSize(a.size)})`).join('\n');
      row.append(cell);
      const open = () => { location.hash = `#/message/${encodeURIComponent(m.id)}`; };
      row.addEventListener('click', open);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
      return row;
    });
    $('messages').tBodies[0].replaceChildren(...rows);
    const shown = data.messages.length;
    $('count').textContent = query
      ? `${shown} of ${data.total} message(s) match “${query}”`
      : `${data.total} message(s)`;
    $('messages').hidden = shown === 0;
    $('empty').hidden = data.total !== 0;
    document.body.dataset.version = String(data.version);
  }

  // Long polling: the server answers at once when `since` is not the current version, else
  // when a message arrives (or the store is cleared), else after LONG_POLL_SECONDS.
  function startPolling() {
    if (poller) poller.abort();
    const controller = new AbortController();
    poller = controller;
    version = null;
    (async () => {
      while (!controller.signal.aborted) {
        const params = new URLSearchParams({ q: query });
        if (version !== null) {
          params.set('since', String(version));
          params.set('wait', String(LONG_POLL_SECONDS));
        }
        try {
          const data = await getJSON(`${API}/messages?${params}`, controller.signal);
          if (controller.signal.aborted) return;
          const changed = data.version !== version;
          version = data.version;
          if (changed) renderList(data);
        } catch (e) {
          if (controller.signal.aborted) return;
          $('count').textContent = 'The emulator is not answering; retrying…';
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    })();
  }

  // ----- one message ----------------------------------------------------------------------

  function keyValueRows(tbody, pairs) {
    tbody.replaceChildren(...pairs
      .filter(([, value]) => value !== '' && value !== null && value !== undefined)
      .map(([key, value]) => {
        const row = el('tr');
        row.append(el('th', key), el('td', value));
        return row;
      }));
  }

  function selectTab(name) {
    for (const tab of ['html', 'text', 'request']) {
      $(`tab-${tab}`).hidden = tab !== name;
      $(`tab-${tab}-button`).setAttribute('aria-selected', String(tab === name));
    }
  }

  async function showMessage(id) {
    $('list-view').hidden = true;
    $('message-view').hidden = false;
    let m;
    try {
      m = await getJSON(`${API}/messages/${encodeURIComponent(id)}`);
    } catch (e) {
      $('message').hidden = true;
      $('missing').hidden = false;
      return;
    }
    $('missing').hidden = true;
    $('message').hidden = false;
    $('message').dataset.id = m.id;
    $('m-subject').textContent = m.subject || '(no subject)';
    keyValueRows($('m-headers').tBodies[0], [
      ['From', formatAddress(m.from)],
      ['Sent as', m.mailbox],
      ['To', formatAddresses(m.to)],
      ['Cc', formatAddresses(m.cc)],
      ['Bcc', formatAddresses(m.bcc)],
      ['Reply-To', formatAddresses(m.replyTo)],
      ['Received', `${formatTime(m.receivedAt)} (${m.receivedAt})`],
      ['Importance', m.importance],
      ['Message-ID', m.internetMessageId],
      ['Size', formatSize(m.size)],
      ['Receipts', [m.isDeliveryReceiptRequested ? 'delivery' : '', m.isReadReceiptRequested ? 'read' : '']
        .filter(Boolean).join(', ')],
      ['Saved to Sent Items', m.saveToSentItems ? 'yes' : 'no'],
      ['Sent through', `${m.mime ? 'sendMail (MIME)' : m.viaDraft ? 'draft + send' : 'sendMail (JSON)'}`],
      ['App (client ID)', m.clientId],
      ['Tenant', m.tenantId],
      ['request-id', m.requestId],
    ]);
    keyValueRows($('m-xheaders').tBodies[0], m.headers.map((h) => [h.name, h.value]));
    $('m-xheaders-block').hidden = m.headers.length === 0;

    const items = m.attachments.map((a) => {
      const item = el('li');
      const link = el('a', a.name || '(no name)');
      link.href = a.downloadUrl;
      link.setAttribute('download', a.name || 'attachment');
      const notes = [a.contentType || 'no content type', formatSize(a.size)];
      if (a.isInline) notes.push(`inline${a.contentId ? `, cid:${a.contentId}` : ''}`);
      item.append(link, el('span', ` (${notes.join(', ')})`, 'muted'));
      return item;
    });
    $('m-attachments').replaceChildren(...items);
    $('m-attachments-block').hidden = items.length === 0;

    $('m-text').textContent = m.text;
    $('m-text-note').textContent = m.textDerivedFromHtml
      ? 'The message has an HTML body only; this is its text.'
      : '';
    $('m-request').textContent = JSON.stringify(m.request, null, 2);
    $('m-request-download').href = m.requestUrl;
    $('m-eml').href = m.emlUrl;

    const frame = $('m-body');
    if (m.bodyUrl) {
      $('tab-html-button').hidden = false;
      frame.src = m.bodyUrl;
      selectTab('html');
    } else {
      $('tab-html-button').hidden = true;
      frame.removeAttribute('src');
      selectTab('text');
    }
  }

  function showList() {
    $('message-view').hidden = true;
    $('list-view').hidden = false;
    $('m-body').removeAttribute('src');
  }

  function route() {
    const match = location.hash.match(/^#\/message\/(.+)$/);
    if (match) {
      showMessage(decodeURIComponent(match[1]));
    } else {
      showList();
    }
  }

  // ----- start ----------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    for (const button of document.querySelectorAll('.tabs button')) {
      button.addEventListener('click', () => selectTab(button.dataset.tab));
    }
    let debounce = null;
    $('search').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        query = $('search').value.trim();
        startPolling();
      }, 150);
    });
    $('clear').addEventListener('click', async () => {
      if (!window.confirm('Delete every message stored by the emulator?')) return;
      const response = await fetch(`${API}/messages`, { method: 'DELETE' });
      if (response.ok) {
        location.hash = '';
        route();
      }
    });
    getJSON(`${API}/info`).then((info) => {
      $('endpoint').textContent = `Graph endpoint ${info.graphEndpoint}`;
      $('empty-hint').textContent =
        `Send with POST ${info.graphEndpoint}/users/{mailbox}/sendMail; mailboxes: ${info.mailboxes.join(', ')}.`;
    }).catch(() => {});
    window.addEventListener('hashchange', route);
    route();
    startPolling();
  });
})();
