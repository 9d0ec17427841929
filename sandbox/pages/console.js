// The operator console: plain pages over the operator API (/v1/operator/*), called with the operator's key as
// typed in (never the storefront's). Every action asks for a reason and sends an Idempotency-Key; the API
// audits it. Reconciliation's breaks by class are drawn as inline SVG bars (no library, nothing fetched).
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

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Horizontal bars, one per [label, value, title]: an inline SVG chart (the table next to it has the numbers). */
function barChart(id, bars) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowHeight = 26;
  const labelWidth = 170;
  const width = 640;
  const chart = svg(
    'svg',
    {
      id,
      class: 'chart',
      role: 'img',
      'aria-label': bars.map((b) => `${b.label}: ${b.value}`).join(', '),
      width,
      height: bars.length * rowHeight + 8,
      viewBox: `0 0 ${width} ${bars.length * rowHeight + 8}`,
    },
    bars.map((b, i) => {
      const w = Math.max(2, Math.round(((width - labelWidth - 90) * b.value) / max));
      const y = 4 + i * rowHeight;
      return svg(
        'g',
        { class: 'bar', 'data-class': b.label, 'data-value': b.value },
        svg('title', {}, b.title ?? `${b.label}: ${b.value}`),
        svg('text', { x: labelWidth - 8, y: y + 16, 'text-anchor': 'end', 'font-size': 13 }, b.label),
        svg('rect', {
          x: labelWidth,
          y: y + 3,
          width: w,
          height: rowHeight - 8,
          fill: b.color ?? '#c0392b',
          rx: 3,
        }),
        svg('text', { x: labelWidth + w + 6, y: y + 16, 'font-size': 13 }, b.note ?? String(b.value)),
      );
    }),
  );
  return chart;
}

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
        { id: 'settlement', class: 'muted' },
        !t.settlement
          ? 'Settlement: no reconciliation report covers this order yet.'
          : t.settlement.breaks.length
            ? [
                'Settlement: ',
                t.settlement.breaks.map((b, i) => [
                  i ? '; ' : '',
                  link(`#recon/${b.day}`, `${b.day}`),
                  ` ${b.class} (${b.status}): ${b.detail}`,
                ]),
              ]
            : [
                'Settlement: no break for this order in the reconciliation report(s) of ',
                t.settlement.reports.map((r, i) => [i ? ', ' : '', link(`#recon/${r.day}`, r.day)]),
                ' (matched orders are counted in a report, not listed).',
              ],
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
      el('h3', {}, 'Payouts'),
      payoutSettings(s),
      s.payouts.length
        ? table(
            ['payout', 'amount', 'status', 'failure', 'created'],
            s.payouts.map((p) =>
              el(
                'tr',
                { 'data-payout': p.payout_id },
                el('td', {}, p.payout_id, el('div', { class: 'muted' }, `${p.origin} to ${p.destination}`)),
                el('td', { class: 'num' }, `${p.amount} ${p.currency}`),
                el('td', {}, statusBadge(p.status)),
                el(
                  'td',
                  { class: p.failure ? 'error failure' : 'muted' },
                  p.failure ? `${p.failure.code}${p.failure.message ? `: ${p.failure.message}` : ''}` : '',
                ),
                el('td', { class: 'muted' }, p.created_at),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'No payouts.'),
      el('h3', {}, 'Refunds'),
      s.refunds.length
        ? table(
            ['refund', 'order', 'amount', 'status', 'seller bears', 'failure', 'created'],
            s.refunds.map((r) =>
              el(
                'tr',
                { 'data-refund': r.refund_id },
                el('td', {}, r.refund_id, el('div', { class: 'muted' }, r.origin)),
                el('td', {}, link(`#payment/${encodeURIComponent(r.payment_order_id)}`, r.payment_order_id)),
                el('td', { class: 'num' }, `${r.amount} ${r.currency}`),
                el('td', {}, statusBadge(r.status)),
                el('td', { class: 'num' }, r.borne_by.seller),
                el('td', { class: r.failure_reason ? 'error' : 'muted' }, r.failure_reason ?? ''),
                el('td', { class: 'muted' }, r.created_at),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'No refunds.'),
      el('h3', {}, 'Disputes'),
      s.disputes.length
        ? table(
            ['dispute', 'order', 'amount', 'fee', 'status', 'reason', 'posted'],
            s.disputes.map((d) =>
              el(
                'tr',
                { 'data-dispute': d.dispute_id },
                el('td', {}, d.dispute_id, d.is_inquiry ? el('div', { class: 'muted' }, 'inquiry') : ''),
                el('td', {}, link(`#payment/${encodeURIComponent(d.payment_order_id)}`, d.payment_order_id)),
                el('td', { class: 'num' }, `${d.amount} ${d.currency}`),
                el('td', { class: 'num' }, d.fee),
                el('td', {}, statusBadge(d.status)),
                el('td', {}, d.reason ?? ''),
                el('td', { class: 'muted' }, d.posted.join(', ')),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'No disputes.'),
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
  async attention(id) {
    if (id && id !== 'resolved') return attentionDetail(id);
    const status = id === 'resolved' ? 'resolved' : 'open';
    const { records } = await api(`/v1/operator/attention?status=${status}&limit=100`);
    return el(
      'section',
      { id: 'attention-view' },
      el('h2', {}, 'Needs attention'),
      el(
        'p',
        {},
        status === 'open'
          ? ['Open records. ', link('#attention/resolved', 'Show resolved ones')]
          : ['Resolved records. ', link('#attention', 'Show open ones')],
      ),
      records.length
        ? table(
            ['opened', 'kind', 'subject', 'summary', 'seen', status === 'open' ? '' : 'resolved'],
            records.map((r) =>
              el(
                'tr',
                { 'data-attention': r.attention_id },
                el('td', { class: 'muted' }, r.opened_at),
                el('td', {}, r.kind),
                el('td', {}, `${r.subject_type} `, subjectLink(r.subject_type, r.subject_id)),
                el('td', {}, link(`#attention/${encodeURIComponent(r.attention_id)}`, r.summary)),
                el('td', { class: 'num' }, `${r.occurrences}x`),
                el(
                  'td',
                  {},
                  r.status === 'OPEN'
                    ? resolveAttentionButton(r.attention_id)
                    : `${r.resolved_by}: ${r.resolution}`,
                ),
              ),
            ),
          )
        : el('p', { class: 'muted', id: 'attention-empty' }, `No ${status} records.`),
    );
  },
  async recon(day) {
    if (day) return reconDay(day);
    const { days } = await api('/v1/operator/reconciliation?limit=30');
    return el(
      'section',
      { id: 'recon-view' },
      el('h2', {}, 'Reconciliation reports'),
      days.length
        ? table(
            ['day', 'source', 'finished', 'breaks'],
            days.map((d) =>
              el(
                'tr',
                { 'data-day': d.day },
                el('td', {}, link(`#recon/${d.day}`, d.day)),
                el('td', { class: 'muted' }, d.source),
                el('td', { class: 'muted' }, d.finished_at ?? ''),
                el(
                  'td',
                  {},
                  Object.entries(d.breaks)
                    .map(([s, n]) => `${n} ${s}`)
                    .join(', ') || 'none',
                ),
              ),
            ),
          )
        : el(
            'p',
            { class: 'muted' },
            "No report yet: upload a settlement file (npx payments reconcile FILE) or publish the simulator's (npx payments trigger settlement.publish DAY).",
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

function subjectLink(type, id) {
  if (type === 'payment_order') return link(`#payment/${encodeURIComponent(id)}`, id);
  return el('code', {}, id);
}

function resolveAttentionButton(id) {
  return el(
    'button',
    {
      class: 'resolve-attention',
      'data-attention': id,
      onclick: () =>
        void action(`/v1/operator/attention/${encodeURIComponent(id)}/resolve`, {})
          .then((r) => {
            void route().then(() => flash(`resolved ${r.attention_id} (audit ${r.audit_id})`));
          })
          .catch(showError),
    },
    'Resolve',
  );
}

async function attentionDetail(id) {
  const r = await api(`/v1/operator/attention/${encodeURIComponent(id)}`);
  return el(
    'section',
    { id: 'attention-detail' },
    el('p', {}, link('#attention', '← Needs attention')),
    el('h2', {}, r.summary, ' ', statusBadge(r.status)),
    table(
      ['field', 'value'],
      [
        ['record', r.attention_id],
        ['kind', r.kind],
        ['subject', [`${r.subject_type} `, subjectLink(r.subject_type, r.subject_id)]],
        ['opened', r.opened_at],
        ['seen', `${r.occurrences} time(s)`],
        ...Object.entries(r.details).map(([k, v]) => [k, String(v)]),
        ...(r.status === 'RESOLVED'
          ? [
              ['resolved', r.resolved_at],
              ['by', r.resolved_by],
              ['why', r.resolution],
            ]
          : []),
      ].map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))),
    ),
    r.status === 'OPEN' ? el('p', {}, resolveAttentionButton(r.attention_id)) : '',
  );
}

function payoutSettings(s) {
  const settings = s.payout_settings;
  if (!settings)
    return el(
      'p',
      { class: 'muted', id: 'payout-settings' },
      'No payout settings (the seller has no destination yet).',
    );
  const verb = settings.paused ? 'resume' : 'pause';
  return el(
    'p',
    { id: 'payout-settings', 'data-paused': String(settings.paused) },
    settings.paused ? el('strong', { class: 'error' }, 'Payouts PAUSED. ') : 'Payouts active. ',
    `${settings.schedule}, to ${settings.destination} (${settings.destination_status}${settings.destination_error ? `: ${settings.destination_error}` : ''}). `,
    el(
      'button',
      {
        id: `payouts-${verb}`,
        onclick: () =>
          void action(`/v1/operator/sellers/${encodeURIComponent(s.seller_account)}/payouts/${verb}`, {})
            .then((r) => {
              void route().then(() =>
                flash(`payouts ${r.paused ? 'paused' : 'resumed'} (audit ${r.audit_id})`),
              );
            })
            .catch(showError),
      },
      settings.paused ? 'Resume payouts' : 'Pause payouts',
    ),
  );
}

const CLASS_COLORS = { matched: '#27ae60', awaiting_settlement: '#7f8c8d' };

async function resolveBreak(day, b, kind) {
  const extra = {};
  if (kind === 'link') {
    const order = window.prompt('Payment order this row belongs to:', b.payment_order_id ?? '');
    if (!order) throw new Error('link needs a payment order id');
    extra.payment_order_id = order.trim();
  }
  if (kind === 'write_off') {
    const row = b.row ?? {};
    const amount = window.prompt(
      'Amount to write off (decimal):',
      String(row.net ?? row.gross ?? '').replace('-', ''),
    );
    const currency = window.prompt('Currency:', String(row.currency ?? 'USD').toUpperCase());
    if (!amount || !currency) throw new Error('a write-off needs an amount and a currency');
    extra.amount = amount.trim();
    extra.currency = currency.trim().toUpperCase();
  }
  const r = await action(`/v1/operator/reconciliation/${day}/breaks/${encodeURIComponent(b.id)}/resolve`, {
    action: kind,
    ...extra,
  });
  await route();
  flash(`${r.break_id}: ${r.status} — ${r.detail} (audit ${r.audit_id})`);
}

async function reconDay(day) {
  const r = await api(`/v1/operator/reconciliation/${encodeURIComponent(day)}`);
  const byClass = new Map();
  for (const b of r.breaks) {
    const c = byClass.get(b.class) ?? { total: 0, open: 0 };
    c.total++;
    if (b.status === 'open') c.open++;
    byClass.set(b.class, c);
  }
  const classes = [...new Set([...Object.keys(r.classes), ...byClass.keys()])].sort();
  const breakClasses = classes.filter((c) => c !== 'matched' && c !== 'awaiting_settlement');
  return el(
    'section',
    { id: 'recon-day' },
    el('p', {}, link('#recon', '← Reconciliation reports')),
    el('h2', {}, `Reconciliation ${r.day}`),
    el(
      'p',
      { class: 'muted' },
      `${r.rows ?? '?'} rows from ${r.source}`,
      r.supersedes ? ` (supersedes ${r.supersedes.source})` : '',
      r.internal ? ` — internal checks ${r.internal.ok ? 'ok' : 'FAILED'}` : '',
    ),
    el('h3', {}, 'Rows per class'),
    barChart(
      'recon-chart',
      classes.map((c) => {
        const count = r.classes[c]?.count ?? byClass.get(c)?.total ?? 0;
        const open = byClass.get(c)?.open ?? 0;
        return {
          label: c,
          value: count,
          note: open ? `${count} (${open} open)` : String(count),
          color: CLASS_COLORS[c] ?? (open ? '#c0392b' : '#e67e22'),
        };
      }),
    ),
    table(
      ['class', 'rows', 'amounts', 'breaks', 'open'],
      classes.map((c) =>
        el(
          'tr',
          { 'data-class': c },
          el('td', {}, c),
          el('td', { class: 'num' }, r.classes[c]?.count ?? ''),
          el(
            'td',
            { class: 'num' },
            Object.entries(r.classes[c]?.amounts ?? {})
              .map(([cur, a]) => `${a} ${cur}`)
              .join(', '),
          ),
          el('td', { class: 'num' }, breakClasses.includes(c) ? (byClass.get(c)?.total ?? 0) : ''),
          el('td', { class: 'num' }, breakClasses.includes(c) ? (byClass.get(c)?.open ?? 0) : ''),
        ),
      ),
    ),
    el(
      'h3',
      {},
      `Breaks (${
        Object.entries(r.breaks_by_status)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ') || 'none'
      })`,
    ),
    r.breaks.length
      ? table(
          ['line', 'class', 'break', 'detail', 'status', ''],
          r.breaks.map((b) =>
            el(
              'tr',
              { 'data-break': b.id, 'data-status': b.status },
              el('td', { class: 'num' }, b.line ?? ''),
              el('td', {}, b.class),
              el(
                'td',
                {},
                el('code', {}, b.id),
                b.payment_order_id
                  ? el(
                      'div',
                      {},
                      link(`#payment/${encodeURIComponent(b.payment_order_id)}`, b.payment_order_id),
                    )
                  : '',
              ),
              el('td', { class: 'muted' }, b.detail),
              el(
                'td',
                {},
                statusBadge(b.status),
                b.resolution
                  ? el(
                      'div',
                      { class: 'muted' },
                      `${b.resolution.action} by ${b.resolution.operator}: ${b.resolution.reason}`,
                    )
                  : '',
              ),
              el(
                'td',
                {},
                b.status === 'open'
                  ? [
                      ['accept', 'Accept'],
                      ['link', 'Link'],
                      ['write_off', 'Write off'],
                    ].map(([kind, label]) =>
                      el(
                        'button',
                        {
                          class: `secondary resolve-${kind}`,
                          onclick: () => void resolveBreak(r.day, b, kind).catch(showError),
                        },
                        label,
                      ),
                    )
                  : '',
              ),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'No breaks: every row matched.'),
  );
}

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
