// The operator console: plain pages over the operator API (/v1/operator/*), called with the operator's key as
// typed in (never the storefront's). Every action asks for a reason and sends an Idempotency-Key; the API
// audits it. Views for flows not built yet (needs-attention, reconciliation) say so.
import { el, getJson, newId, statusBadge } from './common.js';

const view = document.getElementById('view');
const keyInput = document.getElementById('operator-key');
const nameInput = document.getElementById('operator-name');
keyInput.value = sessionStorage.getItem('operator-key') ?? '';
nameInput.value = sessionStorage.getItem('operator-name') ?? 'operator';
document.getElementById('save-key').addEventListener('click', () => {
  sessionStorage.setItem('operator-key', keyInput.value);
  sessionStorage.setItem('operator-name', nameInput.value);
  void route();
});

async function api(path, options = {}) {
  const headers = {
    'x-api-key': keyInput.value,
    ...(options.body ? { 'content-type': 'application/json' } : {}),
    ...(options.headers ?? {}),
  };
  const answer = await getJson(path, { ...options, headers });
  if (answer.status >= 400)
    throw new Error(
      `${answer.status} ${answer.body.error?.code ?? answer.body.message ?? ''}: ${answer.body.error?.message ?? ''}`,
    );
  return answer.body;
}

async function action(path, body) {
  const reason = window.prompt('Reason (required, audited):');
  if (!reason || reason.trim().length < 3) throw new Error('a reason is required');
  return api(path, {
    method: 'POST',
    headers: { 'idempotency-key': newId('op') },
    body: JSON.stringify({ actor: nameInput.value, reason, ...body }),
  });
}

const table = (headers, rows) =>
  el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
const link = (hash, text) => el('a', { href: hash }, text);

const views = {
  async payments() {
    const { payment_orders } = await api('/v1/operator/payments?limit=50');
    return el(
      'section',
      { id: 'payments-view' },
      el('h2', {}, 'Payment orders'),
      table(
        ['order', 'seller', 'amount', 'status', 'mode', 'created'],
        payment_orders.map((o) =>
          el(
            'tr',
            {},
            el('td', {}, link(`#payment/${encodeURIComponent(o.payment_order_id)}`, o.payment_order_id)),
            el('td', {}, link(`#seller/${encodeURIComponent(o.seller_account)}`, o.seller_account)),
            el('td', { class: 'num' }, `${o.amount} ${o.currency}`),
            el('td', {}, statusBadge(o.status)),
            el('td', {}, o.mode),
            el('td', { class: 'muted' }, o.created_at),
          ),
        ),
      ),
    );
  },
  async payment(id) {
    const t = await api(`/v1/operator/payments/${encodeURIComponent(id)}`);
    const o = t.payment_order;
    return el(
      'section',
      { id: 'payment-view' },
      el('h2', {}, `Payment order ${o.payment_order_id} `, statusBadge(o.status)),
      el(
        'p',
        {},
        `${o.amount} ${o.currency} to `,
        link(`#seller/${encodeURIComponent(o.seller_account)}`, o.seller_account),
        ` — checkout ${t.checkout_id}, ${o.mode}`,
        o.psp_reference ? `, PSP ${o.psp_reference}` : '',
        o.failure_reason ? ` — ${o.failure_reason}` : '',
      ),
      el('h3', {}, 'Timeline (request to ledger)'),
      table(
        ['at', 'kind', 'what', 'detail'],
        t.timeline.map((e) =>
          el(
            'tr',
            { class: `timeline-${e.kind}` },
            el('td', { class: 'muted' }, e.at),
            el('td', {}, e.kind),
            el('td', {}, e.title),
            el('td', { class: 'muted' }, e.detail ? JSON.stringify(e.detail) : ''),
          ),
        ),
      ),
      el(
        'p',
        { class: 'muted' },
        t.settlement
          ? `settled: ${JSON.stringify(t.settlement)}`
          : 'Settlement: reconciliation is not built yet.',
      ),
      el('h3', {}, 'Ledger transactions'),
      t.ledger_transactions.map((tx) =>
        el(
          'div',
          {},
          el('strong', {}, `${tx.transaction_id} (${tx.reason})`),
          table(
            ['account', 'amount'],
            tx.entries.map((e) =>
              el('tr', {}, el('td', {}, e.account), el('td', { class: 'num' }, `${e.amount} ${e.currency}`)),
            ),
          ),
        ),
      ),
    );
  },
  async seller(id) {
    const form = el(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          window.location.hash = `#seller/${encodeURIComponent(e.target.seller.value)}`;
        },
      },
      el('label', {}, 'Seller ', el('input', { name: 'seller', value: id ?? 'seller_books' })),
      el('button', {}, 'Show'),
    );
    if (!id) return el('section', {}, el('h2', {}, 'Sellers'), form);
    const s = await api(`/v1/operator/sellers/${encodeURIComponent(id)}`);
    const check = el('div', { id: 'ledger-check' });
    const runCheck = async () => {
      check.textContent = 'checking the whole ledger...';
      const r = await api(`/v1/operator/ledger/check?seller_account=${encodeURIComponent(id)}`);
      check.replaceChildren(
        el(
          'p',
          { class: r.ok ? '' : 'error', 'data-ok': String(r.ok) },
          r.ok
            ? `Balance check passed: wallet equals its ledger entries; ledger sums to zero (${r.transactions} transactions, ${r.entries} entries).`
            : `Balance check FAILED: ${r.problems.join('; ')}`,
        ),
      );
    };
    return el(
      'section',
      { id: 'seller-view' },
      form,
      el('h2', {}, `Seller ${s.seller_account}`),
      table(
        ['currency', 'available', 'reserved', 'paid out'],
        s.balances.map((b) =>
          el(
            'tr',
            {},
            el('td', {}, b.currency),
            el('td', { class: 'num' }, b.available),
            el('td', { class: 'num' }, b.reserved),
            el('td', { class: 'num' }, b.paid_out),
          ),
        ),
      ),
      el(
        'p',
        {},
        el(
          'button',
          { id: 'run-check', onclick: () => void runCheck().catch(showError) },
          'Run balance check',
        ),
      ),
      check,
      el('h3', {}, 'Ledger entries (seller payable)'),
      table(
        ['posted', 'transaction', 'reason', 'amount'],
        s.ledger_entries.map((e) =>
          el(
            'tr',
            {},
            el('td', { class: 'muted' }, e.posted_at),
            el('td', {}, e.transaction_id),
            el('td', {}, e.reason),
            el('td', { class: 'num' }, `${e.amount} ${e.currency}`),
          ),
        ),
      ),
      el(
        'p',
        { class: 'muted' },
        'Pay-outs (with failure reasons, pause/resume), refunds and disputes appear here once they are built.',
      ),
    );
  },
  async webhooks() {
    const { events } = await api('/v1/operator/webhook-events?limit=50');
    return el(
      'section',
      { id: 'webhooks-view' },
      el('h2', {}, 'Webhook events (inbox)'),
      table(
        ['event', 'type', 'status', 'received', 'outcome', ''],
        events.map((e) =>
          el(
            'tr',
            {},
            el('td', {}, e.id),
            el('td', {}, e.type),
            el('td', {}, e.status),
            el('td', { class: 'muted' }, e.received_at),
            el('td', { class: 'muted' }, e.outcome ?? ''),
            el(
              'td',
              {},
              el(
                'button',
                {
                  class: 'replay secondary',
                  'data-event': e.id,
                  onclick: () =>
                    void action(`/v1/operator/webhook-events/${encodeURIComponent(e.id)}/replay`, {})
                      .then((r) => flash(`replayed ${r.event_id} (audit ${r.audit_id})`))
                      .catch(showError),
                },
                'Replay',
              ),
            ),
          ),
        ),
      ),
    );
  },
  async queues() {
    const { queues } = await api('/v1/operator/queues');
    const details = el('div', { id: 'queue-messages' });
    const peek = async (id) => {
      const r = await api(`/v1/operator/queues/${encodeURIComponent(id)}/messages?limit=10`);
      details.replaceChildren(
        el('h3', {}, `${id} (redrives to ${r.source_queue})`),
        r.messages.length
          ? r.messages.map((m) =>
              el(
                'details',
                {},
                el('summary', {}, `${m.message_id} — received ${m.receive_count}x, sent ${m.sent_at ?? '?'}`),
                el('pre', {}, JSON.stringify(m.body, null, 2)),
              ),
            )
          : el('p', { class: 'muted' }, 'empty'),
        el(
          'button',
          {
            id: 'redrive',
            onclick: () =>
              void action(`/v1/operator/queues/${encodeURIComponent(id)}/redrive`, {})
                .then((x) => {
                  flash(`moved ${x.moved} message(s) to ${x.source_queue} (audit ${x.audit_id})`);
                  void route();
                })
                .catch(showError),
          },
          'Redrive all',
        ),
      );
    };
    return el(
      'section',
      { id: 'queues-view' },
      el('h2', {}, 'Queues and dead-letter queues'),
      table(
        ['queue', 'DLQ of', 'messages', 'in flight', ''],
        queues.map((q) =>
          el(
            'tr',
            {},
            el('td', {}, q.queue_id, el('div', { class: 'muted' }, q.description)),
            el('td', {}, q.source_queue ?? ''),
            el('td', { class: 'num' }, q.messages),
            el('td', { class: 'num' }, q.in_flight),
            el(
              'td',
              {},
              q.is_dead_letter_queue
                ? el(
                    'button',
                    {
                      class: 'peek secondary',
                      'data-queue': q.queue_id,
                      onclick: () => void peek(q.queue_id).catch(showError),
                    },
                    'Messages',
                  )
                : '',
            ),
          ),
        ),
      ),
      details,
    );
  },
  async attention() {
    return el(
      'section',
      {},
      el('h2', {}, 'Needs attention'),
      el(
        'p',
        { class: 'muted' },
        'Needs-attention records are not built yet: this view lists them once the pay-in work lands (lambdas/attention/).',
      ),
    );
  },
  async recon() {
    return el(
      'section',
      {},
      el('h2', {}, 'Reconciliation reports'),
      el(
        'p',
        { class: 'muted' },
        'Reconciliation is not built yet: its reports, breaks by class (chart and table) and their resolution appear here once it lands.',
      ),
    );
  },
  async audit() {
    const { records } = await api('/v1/operator/audit?limit=100');
    return el(
      'section',
      { id: 'audit-view' },
      el('h2', {}, 'Audit trail'),
      table(
        ['at', 'who', 'action', 'target', 'why', 'outcome'],
        records.map((r) =>
          el(
            'tr',
            {},
            el('td', { class: 'muted' }, r.at),
            el('td', {}, r.actor),
            el('td', {}, r.action),
            el('td', {}, r.target),
            el('td', {}, r.reason),
            el('td', { class: 'muted' }, JSON.stringify(r.outcome)),
          ),
        ),
      ),
    );
  },
};

function flash(text) {
  const note = el('p', { class: 'flash', role: 'status' }, text);
  view.prepend(note);
}
function showError(error) {
  view.prepend(el('p', { class: 'error', role: 'alert' }, error.message));
}

async function route() {
  const [name, arg] = (window.location.hash.slice(1) || 'payments').split('/');
  const render = views[name] ?? views.payments;
  if (!keyInput.value) {
    view.replaceChildren(el('section', {}, el('p', {}, 'Enter the operator API key (npm start prints it).')));
    return;
  }
  try {
    view.replaceChildren(await render(arg ? decodeURIComponent(arg) : undefined));
  } catch (error) {
    view.replaceChildren();
    showError(error);
  }
}
window.addEventListener('hashchange', () => void route());
void route();
