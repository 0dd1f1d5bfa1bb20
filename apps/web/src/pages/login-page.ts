import { h } from '../dom.js';
import { safeNext } from '../safe-next.js';

/**
 * The login page of a server that runs with API keys: paste a key, and
 * `POST /api/v1/session` turns it into an HttpOnly session cookie (the key
 * itself is never kept by the page). Then back to `next`.
 */
export function loginPage(app: HTMLElement, next: string): void {
  const input = h('input', { type: 'password', name: 'apiKey', placeholder: 'ck_…', autocomplete: 'off', 'data-testid': 'api-key', size: 64 });
  const error = h('p', { class: 'error', 'data-testid': 'login-error' });
  const form = h('form', { 'data-testid': 'login' }, h('p', null, 'This server needs an API key (make one with ', h('code', null, 'cohort keys create --user <name>'), ').'), input, ' ', h('button', { type: 'submit' }, 'Log in'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      const res = await fetch('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: input.value }) });
      if (res.ok) {
        location.assign(safeNext(next, location.origin));
        return;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
      error.textContent = body.error?.message ?? `HTTP ${res.status}`;
    })();
  });
  app.append(h('h1', null, 'Log in'), form);
}
