// The result page (reached directly after a card checkout, or through the PSP's redirect after the hosted
// page): polls the checkout and shows each order's status as it changes. An order waiting on 3-D Secure gets a
// button that opens the PSP's authentication page (next_action.redirect_url) in a window of its own; the
// polling sees the outcome. A paid order has a refund button when the refunds route exists: it refunds what
// remains of the order and shows the refund's status as the PSP moves it.
import { el, getJson, newId, statusBadge } from './common.js';

const checkoutId = new URLSearchParams(window.location.search).get('checkout_id') ?? '';
document.getElementById('checkout-id').textContent = checkoutId;
let config = { refund_route: null };
const actions = new Map();
/** Per order: the refund asked for from this page ({ status, amount, currency, refund_id } or { error }). */
const refunds = new Map();
let lastCheckout = null;
const FINAL_REFUND = new Set(['succeeded', 'failed', 'canceled']);

function refundPath(order) {
  return config.refund_route.path.replace('{payment_order_id}', encodeURIComponent(order.payment_order_id));
}

/** Everything that remains of the order, refunded; then its status followed until the PSP settles it. */
async function refund(order, button) {
  button.disabled = true;
  button.textContent = 'refunding...';
  const answer = await getJson(`/_demo/api${refundPath(order)}`, {
    method: config.refund_route.method,
    headers: { 'content-type': 'application/json', 'idempotency-key': newId('refund') },
    body: JSON.stringify({ reason: 'requested_by_customer' }),
  });
  if (answer.status >= 300) {
    refunds.set(order.payment_order_id, { error: answer.body.error?.code ?? String(answer.status) });
    return render();
  }
  refunds.set(order.payment_order_id, answer.body);
  render();
  // The order's refunds (GET on the same path) carry the status as the PSP's events move it.
  for (let round = 0; round < 40 && !FINAL_REFUND.has(refunds.get(order.payment_order_id).status); round++) {
    await new Promise((done) => setTimeout(done, 500));
    const list = await getJson(`/_demo/api${refundPath(order)}`);
    const now = list.body.data?.find((r) => r.refund_id === answer.body.refund_id);
    if (now) {
      refunds.set(order.payment_order_id, now);
      render();
    }
  }
}

function refundCell(order) {
  const done = refunds.get(order.payment_order_id);
  if (done.error)
    return el(
      'span',
      { class: 'refund-status', 'data-refund-status': 'error' },
      `refund failed (${done.error})`,
    );
  return el(
    'span',
    { class: 'refund-status', 'data-refund-status': done.status, 'data-refund-id': done.refund_id },
    `refund ${done.amount} ${done.currency}: ${done.status}`,
  );
}

function actionCell(order) {
  if (order.status === 'PENDING' && actions.get(order.payment_order_id)) {
    const url = actions.get(order.payment_order_id);
    return el(
      'button',
      {
        class: 'authenticate',
        'data-order': order.payment_order_id,
        onclick: () => window.open(url, '3ds', 'width=480,height=600'),
      },
      'Authenticate (3-D Secure)',
    );
  }
  if (order.status === 'SUCCESS' && refunds.has(order.payment_order_id)) return refundCell(order);
  if (order.status === 'SUCCESS') {
    const button = el(
      'button',
      {
        class: 'refund secondary',
        disabled: !config.refund_route,
        onclick: (e) => void refund(order, e.target),
      },
      'Refund',
    );
    return button;
  }
  return '';
}

function render() {
  const checkout = lastCheckout;
  if (!checkout) return;
  document
    .querySelector('#orders tbody')
    .replaceChildren(
      ...checkout.payment_orders.map((o) =>
        el(
          'tr',
          { 'data-order': o.payment_order_id },
          el('td', {}, o.payment_order_id),
          el('td', {}, o.seller_account),
          el('td', { class: 'num' }, `${o.amount} ${o.currency}`),
          el('td', {}, statusBadge(o.status)),
          el('td', { class: 'muted' }, o.failure_reason ?? o.pending_reason ?? ''),
          el('td', {}, actionCell(o)),
        ),
      ),
    );
}

async function poll() {
  const answer = await getJson(`/_demo/api/v1/checkouts/${encodeURIComponent(checkoutId)}`);
  if (answer.status !== 200) {
    document.getElementById('summary').textContent = `checkout not found (${answer.status})`;
    return setTimeout(poll, 2000);
  }
  const checkout = answer.body;
  lastCheckout = checkout;
  for (const order of checkout.payment_orders) {
    if (
      order.status === 'PENDING' &&
      order.pending_reason === 'requires_action' &&
      !actions.has(order.payment_order_id)
    ) {
      const detail = await getJson(`/_demo/api/v1/payments/${encodeURIComponent(order.payment_order_id)}`);
      const url = detail.body.next_action?.redirect_url;
      if (url) actions.set(order.payment_order_id, url);
    }
  }
  render();
  const done = checkout.is_payment_done;
  document.getElementById('summary').textContent = done
    ? `done: ${checkout.payment_orders.filter((o) => o.status === 'SUCCESS').length} of ${checkout.payment_orders.length} orders paid, total ${checkout.total_amount} ${checkout.currency}`
    : `processing (${checkout.mode})...`;
  document.getElementById('summary').dataset.done = String(done);
  if (!done) setTimeout(poll, 700);
}

(async () => {
  config = (await getJson('/_demo/config.json')).body;
  document.getElementById('refund-note').textContent = config.refund_route
    ? ''
    : 'This sandbox serves no refunds route: the refund button is disabled.';
  if (new URLSearchParams(window.location.search).get('cancelled')) {
    document.getElementById('summary').textContent = 'You left the payment page.';
  }
  await poll();
})();
