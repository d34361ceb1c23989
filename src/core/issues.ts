/** A valibot failure as this toolkit reports it: the first issue, with the dotted path of the field it is about. */
import type * as v from 'valibot';

export function firstIssue(issues: readonly [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): { path: string; message: string } {
  const issue = issues[0];
  return { path: issue.path?.map((p) => String(p.key)).join('.') ?? '', message: issue.message };
}
