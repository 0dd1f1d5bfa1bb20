import DOMPurify from 'dompurify';
import { Marked } from 'marked';

/**
 * Markdown (run notes) rendered safely: raw HTML in the notes is rendered as
 * text (so `<script>` shows as written), `marked` turns the Markdown into
 * HTML, and DOMPurify cleans that into a DOM fragment on an allow-list (no
 * scripts, no event handlers, no `javascript:` URLs, no forms, frames or
 * images). Nothing reaches the page as an HTML string.
 */

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

/** The notes as a sanitized DOM fragment. */
export function renderMarkdown(text: string): DocumentFragment {
  const bounded = text.length > 100_000 ? `${text.slice(0, 100_000)}…` : text;
  const html = marked.parse(bounded, { async: false });
  const fragment = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'input'],
    ALLOWED_ATTR: ['href', 'title', 'type', 'checked', 'disabled'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/(?!\/)|#)/i,
  });
  for (const a of fragment.querySelectorAll('a')) {
    a.setAttribute('rel', 'noopener noreferrer nofollow');
    a.setAttribute('target', '_blank');
  }
  for (const input of fragment.querySelectorAll('input')) {
    if (input.getAttribute('type') !== 'checkbox') input.remove();
    else input.setAttribute('disabled', '');
  }
  return fragment;
}
