import { mediaFile, type MediaFileFields } from './media-file.js';

/** The JSON an {@link Html} logs as; the page itself is the run file at `path`. */
export interface HtmlDescriptor extends MediaFileFields {
  _type: 'html';
}

/**
 * HTML to log (W&B's `wandb.Html`), stored as a file
 * (`media/html/<sha256>.html`). The dashboard shows it in a sandboxed frame
 * (`sandbox=""`: no script runs, no same-origin access), and the server
 * sends it with `Content-Security-Policy: sandbox`, opened directly too.
 *
 * @example
 * run.log({ report: new Html('<h1>Epoch 3</h1><p>all good</p>') });
 */
export class Html {
  readonly html: string;

  constructor(html: string) {
    if (typeof html !== 'string') throw new TypeError(`Expected the html of Html to be a string, got ${typeof html}`);
    this.html = html;
  }

  toLogValue(): HtmlDescriptor {
    return { _type: 'html', ...mediaFile('html', 'html', Buffer.from(this.html, 'utf8')) };
  }
}
