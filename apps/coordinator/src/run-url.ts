/**
 * The dashboard URL of a run: `<httpUrl>/<entity>/<project>/runs/<id>`, each
 * name URL-encoded.
 */
export function runUrl(httpUrl: string, run: { entity: string; project: string; runId: string }): string {
  return `${httpUrl}/${encodeURIComponent(run.entity)}/${encodeURIComponent(run.project)}/runs/${encodeURIComponent(run.runId)}`;
}
