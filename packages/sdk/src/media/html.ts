import { CohortError } from '@cohort/protocol';

/** Longest HTML text logged. */
export const MAX_HTML_LENGTH = 256 * 1024;

/**
 * HTML to log (W&B's `wandb.Html`). The dashboard shows it in a sandboxed
 * frame (`sandbox=""`: no script runs, no same-origin access).
 *
 * @example
 * run.log({ report: new Html('<h1>Epoch 3</h1><p>all good</p>') });
 */
export class Html {
  readonly html: string;

  constructor(html: string) {
    if (typeof html !== 'string') throw new TypeError(`Expected the html of Html to be a string, got ${typeof html}`);
    if (html.length > MAX_HTML_LENGTH) throw new CohortError('INVALID_ARGUMENT', `Expected Html to be at most ${MAX_HTML_LENGTH} characters, got ${html.length}`);
    this.html = html;
  }

  toLogValue(): { _type: 'html'; html: string } {
    return { _type: 'html', html: this.html };
  }
}
