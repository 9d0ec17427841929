/**
 * The simulator's hosted pages, played by a person or a browser test:
 * - `GET /checkout/:session` the Checkout payment page (email, card number, expiry, CVC, name); `POST` pays;
 *   `GET /checkout/:session/cancel` returns to `cancel_url`.
 * - `GET /3ds/:payment_intent` the 3-D Secure challenge (Complete / Fail); `POST` finishes it.
 *
 * The card number is read from the form, classified (cards.ts) and dropped in this function; only the brand
 * and last4 go further. Pages are pure functions of the request: they return HTML or a redirect.
 */
import { classifyCardNumber } from './cards';
import type { PspEngine } from './engine';
import { StripeApiError } from './errors';
import { displayAmount } from './money';
import type { CheckoutSession, PaymentIntent } from './objects';

export type PageResponse = { status: number; html: string } | { status: 303; location: string };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f6f9fc;margin:0;padding:2rem;color:#30313d}
main{max-width:26rem;margin:0 auto;background:#fff;border-radius:8px;padding:1.5rem;box-shadow:0 2px 8px #0002}
label{display:block;margin:.75rem 0 .25rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #ccc;border-radius:4px}
button{margin-top:1rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:4px;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#8792a2}
.row{display:flex;gap:.5rem}.row>div{flex:1}
.error{color:#df1b41;margin:.75rem 0}.muted{color:#6a7383;font-size:.85rem}
table{width:100%;border-collapse:collapse;margin:.5rem 0}td{padding:.2rem 0}td.amount{text-align:right}
</style></head><body><main>${body}</main></body></html>`;
}

function checkoutPage(engine: PspEngine, session: CheckoutSession, error?: string): string {
  const items = engine.store.sessionInternals.get(session.id)?.lineItems ?? [];
  const total = displayAmount(session.amount_total, session.currency);
  const lines = items
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.name)} &times; ${i.quantity}</td><td class="amount">${escapeHtml(displayAmount(i.unitAmount * i.quantity, i.currency))}</td></tr>`,
    )
    .join('');
  const cancel = session.cancel_url
    ? `<p><a id="cancel" href="/checkout/${session.id}/cancel">&larr; Back</a></p>`
    : '';
  return layout(
    'Pay - PSP simulator',
    `${cancel}<h1>Pay <span id="total">${escapeHtml(total)}</span></h1>
<table>${lines}</table>
<p class="muted">Test mode: use a test card such as 4242 4242 4242 4242, any future expiry, any CVC.</p>
${error ? `<p class="error" id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/checkout/${session.id}" autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" value="${escapeHtml(session.customer_email ?? '')}">
<label for="cardNumber">Card number</label><input id="cardNumber" name="cardNumber" inputmode="numeric" placeholder="1234 1234 1234 1234" required>
<div class="row"><div><label for="cardExpiry">Expiry</label><input id="cardExpiry" name="cardExpiry" placeholder="MM / YY" required></div>
<div><label for="cardCvc">CVC</label><input id="cardCvc" name="cardCvc" inputmode="numeric" placeholder="CVC" required></div></div>
<label for="billingName">Name on card</label><input id="billingName" name="billingName">
<button id="submit" type="submit">Pay ${escapeHtml(total)}</button>
</form>`,
  );
}

function messagePage(title: string, message: string, link?: { href: string; text: string }): string {
  return layout(
    title,
    `<h1 id="title">${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p>${
      link ? `<p><a id="continue" href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : ''
    }`,
  );
}

function threeDsPage(pi: PaymentIntent): string {
  return layout(
    '3-D Secure - PSP simulator',
    `<h1>3-D Secure authentication</h1>
<p>Authenticate the payment of <strong>${escapeHtml(displayAmount(pi.amount, pi.currency))}</strong>.</p>
<p class="muted">This is the simulator's test authentication page.</p>
<form method="post" action="/3ds/${pi.id}"><input type="hidden" name="outcome" value="succeed"><button id="complete-auth" type="submit">Complete authentication</button></form>
<form method="post" action="/3ds/${pi.id}"><input type="hidden" name="outcome" value="fail"><button id="fail-auth" class="secondary" type="submit">Fail authentication</button></form>`,
  );
}

/** "MM / YY", "MM/YY" or "MM/YYYY". */
export function parseExpiry(text: string): { month: number; year: number } | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!match) return undefined;
  const month = Number(match[1]);
  const year = (match[2] as string).length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return { month, year };
}

function withQuery(url: string, query: Record<string, string>): string {
  const target = new URL(url);
  for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
  return target.toString();
}

function pay(engine: PspEngine, session: CheckoutSession, form: URLSearchParams): PageResponse {
  const expiry = parseExpiry(form.get('cardExpiry') ?? '');
  const cvc = (form.get('cardCvc') ?? '').trim();
  // Read the number into a local, classify it, and let it go out of scope with this function.
  const check = classifyCardNumber(form.get('cardNumber') ?? '');
  form.delete('cardNumber');
  const again = (message: string, status = 400): PageResponse => ({
    status,
    html: checkoutPage(engine, session, message),
  });
  if (!check.ok) return again(check.message);
  const now = new Date(engine.clock.now());
  if (!expiry) return again('Your card\u2019s expiration date is incomplete.');
  if (expiry.year * 12 + expiry.month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) {
    return again('Your card\u2019s expiration year is in the past.');
  }
  if (!/^\d{3,4}$/.test(cvc)) return again('Your card\u2019s security code is incomplete.');
  const result = engine.payCheckoutSession(session, {
    facts: check.card,
    outcome: check.outcome,
    expMonth: expiry.month,
    expYear: expiry.year,
    email: form.get('email') || null,
    name: form.get('billingName') || null,
  });
  if (result.kind === 'declined') return again(result.message, 402);
  return { status: 303, location: result.redirect };
}

function finishThreeDs(engine: PspEngine, pi: PaymentIntent, outcome: 'succeed' | 'fail'): PageResponse {
  const internals = engine.store.intentInternals.get(pi.id);
  engine.completeAuthentication(pi.id, outcome);
  const sessionId = internals?.sessionId;
  if (sessionId) {
    const session = engine.store.sessions.get(sessionId);
    if (pi.status === 'succeeded') return { status: 303, location: engine.successRedirect(session) };
    return { status: 303, location: `/checkout/${session.id}?auth_failed=1` };
  }
  const status = pi.status === 'succeeded' ? 'succeeded' : 'failed';
  if (internals?.returnUrl) {
    return {
      status: 303,
      location: withQuery(internals.returnUrl, {
        payment_intent: pi.id,
        payment_intent_client_secret: pi.client_secret,
        redirect_status: status,
      }),
    };
  }
  return {
    status: 200,
    html: messagePage(`Authentication ${status}`, `PaymentIntent ${pi.id} is now ${pi.status}.`),
  };
}

export function hostedPage(
  engine: PspEngine,
  method: string,
  pathname: string,
  query: URLSearchParams,
  form: URLSearchParams,
): PageResponse | undefined {
  const checkout = /^\/checkout\/(cs_[A-Za-z0-9_]+)(\/cancel)?$/.exec(pathname);
  if (checkout) {
    const session = engine.store.sessions.find(checkout[1] as string);
    if (!session)
      return { status: 404, html: messagePage('Not found', 'This checkout page does not exist.') };
    if (checkout[2]) {
      if (method !== 'GET') return { status: 405, html: messagePage('Method not allowed', '') };
      return session.cancel_url
        ? { status: 303, location: session.cancel_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id) }
        : { status: 200, html: messagePage('Payment canceled', 'You left the checkout page.') };
    }
    if (session.status === 'complete') {
      return {
        status: 200,
        html: messagePage('Payment complete', 'Thank you.', {
          href: engine.successRedirect(session),
          text: 'Continue',
        }),
      };
    }
    if (session.status === 'expired') {
      return { status: 410, html: messagePage('Session expired', 'This checkout session has expired.') };
    }
    if (method === 'GET') {
      const error = query.get('auth_failed')
        ? 'We are unable to authenticate your payment method. Please choose a different payment method and try again.'
        : undefined;
      return { status: 200, html: checkoutPage(engine, session, error) };
    }
    if (method === 'POST') return pay(engine, session, form);
    return { status: 405, html: messagePage('Method not allowed', '') };
  }
  const threeDs = /^\/3ds\/(pi_[A-Za-z0-9]+)$/.exec(pathname);
  if (threeDs) {
    const pi = engine.store.paymentIntents.find(threeDs[1] as string);
    if (!pi) return { status: 404, html: messagePage('Not found', 'Unknown payment.') };
    if (pi.status !== 'requires_action') {
      return { status: 409, html: messagePage('Nothing to authenticate', `This payment is ${pi.status}.`) };
    }
    if (method === 'GET') return { status: 200, html: threeDsPage(pi) };
    if (method === 'POST') {
      const outcome = form.get('outcome') === 'succeed' ? 'succeed' : 'fail';
      try {
        return finishThreeDs(engine, pi, outcome);
      } catch (error) {
        if (error instanceof StripeApiError)
          return { status: 409, html: messagePage('Cannot authenticate', error.message) };
        throw error;
      }
    }
    return { status: 405, html: messagePage('Method not allowed', '') };
  }
  return undefined;
}
