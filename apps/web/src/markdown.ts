import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * Markdown (run notes) rendered safely: `marked` turns it into HTML, which
 * DOMPurify cleans into a DOM fragment (no scripts, no event handlers, no
 * `javascript:` URLs, no forms or frames); raw HTML in the notes is escaped
 * first, so only Markdown constructs produce elements at all.
 */
export function renderMarkdown(text: string): DocumentFragment {
  const bounded = text.length > 100_000 ? `${text.slice(0, 100_000)}…` : text;
  const html = marked.parse(escapeRawHtml(bounded), { async: false, gfm: true, breaks: false });
  const fragment = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
    ALLOWED_ATTR: ['href', 'title'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/(?!\/)|#)/i,
  });
  for (const a of fragment.querySelectorAll('a')) {
    a.setAttribute('rel', 'noopener noreferrer nofollow');
    a.setAttribute('target', '_blank');
  }
  return fragment;
}

/** `<` and `&` of raw HTML become text, so `<script>` in notes shows as written. */
function escapeRawHtml(text: string): string {
  return text.replace(/&(?![a-zA-Z]+;|#\d+;)/g, '&amp;').replace(/</g, '&lt;');
}
