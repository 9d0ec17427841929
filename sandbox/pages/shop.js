// The demo storefront: a cart from three sellers, paid with a card tokenized here by the PSP simulator (the
// card never reaches our API) or on the PSP's hosted page. Our API is called through the sandbox's demo proxy
// (/_demo/api), which adds the storefront's key server-side. Money is integer cents, never a float.
import { el, getJson, newId } from './common.js';

const ITEMS = [
  { name: 'The Art of Computer Programming, vol. 1', seller: 'seller_books', cents: 3000, qty: 1 },
  { name: 'Darjeeling first flush, 100 g', seller: 'seller_tea', cents: 1234, qty: 1 },
  { name: 'Print: Lovelace, A3', seller: 'seller_prints', cents: 1999, qty: 2 },
];

const format = (cents) => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

function renderCart() {
  const body = document.querySelector('#cart tbody');
  body.replaceChildren(
    ...ITEMS.map((item, i) =>
      el(
        'tr',
        {},
        el('td', {}, item.name),
        el('td', {}, item.seller),
        el('td', { class: 'num' }, `$${format(item.cents)}`),
        el(
          'td',
          { class: 'num' },
          el('input', {
            type: 'number',
            min: '0',
            max: '9',
            value: String(item.qty),
            id: `qty-${i}`,
            size: '2',
            oninput: (e) => {
              item.qty = Math.max(0, Math.min(9, Number.parseInt(e.target.value, 10) || 0));
              renderTotal();
            },
          }),
        ),
        el('td', { class: 'num', id: `sub-${i}` }, `$${format(item.cents * item.qty)}`),
      ),
    ),
  );
  renderTotal();
}

function renderTotal() {
  ITEMS.forEach((item, i) => {
    const c = document.getElementById(`sub-${i}`);
    if (c) c.textContent = `$${format(item.cents * item.qty)}`;
  });
  document.getElementById('total').textContent = `$${format(ITEMS.reduce((s, i) => s + i.cents * i.qty, 0))}`;
}

/** One payment order per seller: the sum of that seller's lines. */
function paymentOrders(checkoutId) {
  const perSeller = new Map();
  for (const item of ITEMS)
    if (item.qty > 0) perSeller.set(item.seller, (perSeller.get(item.seller) ?? 0) + item.cents * item.qty);
  return [...perSeller].map(([seller, cents], i) => ({
    payment_order_id: `${checkoutId.replace(/^co_/, 'po_')}_${i + 1}`,
    seller_account: seller,
    amount: format(cents),
    currency: 'USD',
  }));
}

/** Stripe.js's createPaymentMethod, done by hand: a form POST with the publishable key, no preflight. */
async function tokenize(config) {
  const [month, year] = document
    .getElementById('card-expiry')
    .value.split('/')
    .map((s) => s.trim());
  const form = new URLSearchParams({
    key: config.publishable_key,
    type: 'card',
    'card[number]': document.getElementById('card-number').value.replace(/\s+/g, ''),
    'card[exp_month]': month ?? '',
    'card[exp_year]': year ?? '',
    'card[cvc]': document.getElementById('card-cvc').value,
  });
  const answer = await getJson(`${config.psp_url}/v1/payment_methods`, { method: 'POST', body: form });
  if (answer.status !== 200)
    throw new Error(answer.body.error?.message ?? `tokenization failed (${answer.status})`);
  return answer.body.id;
}

async function checkout() {
  const message = document.getElementById('message');
  const button = document.getElementById('checkout');
  button.disabled = true;
  message.className = '';
  try {
    const config = (await getJson('/_demo/config.json')).body;
    const mode = document.querySelector('input[name=mode]:checked').value;
    const checkoutId = newId('co_demo');
    const orders = paymentOrders(checkoutId);
    if (orders.length === 0) throw new Error('the cart is empty');
    const request = {
      checkout_id: checkoutId,
      buyer_info: { buyer_id: 'buyer_demo', email: document.getElementById('email').value || undefined },
      payment_orders: orders,
    };
    if (mode === 'card') {
      message.textContent = 'tokenizing the card at the PSP...';
      request.credit_card_info = await tokenize(config);
    }
    message.textContent = 'submitting the checkout...';
    const answer = await getJson('/_demo/api/v1/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': checkoutId },
      body: JSON.stringify(request),
    });
    if (answer.status !== 201 && answer.status !== 200) {
      throw new Error(
        `${answer.body.error?.code ?? answer.status}: ${answer.body.error?.message ?? 'failed'}`,
      );
    }
    if (mode === 'hosted') window.location.assign(answer.body.payment_page_url);
    else window.location.assign(`/_demo/shop/result?checkout_id=${encodeURIComponent(checkoutId)}`);
  } catch (error) {
    message.className = 'error';
    message.textContent = error.message;
    button.disabled = false;
  }
}

for (const radio of document.querySelectorAll('input[name=mode]')) {
  radio.addEventListener('change', () => {
    document.getElementById('card-fields').hidden = document.getElementById('mode-hosted').checked;
  });
}
document.getElementById('checkout').addEventListener('click', () => void checkout());
renderCart();
