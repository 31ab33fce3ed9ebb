import { z } from 'zod';
import { moduleNameProblem } from './names.js';

/** Validation of the module fields shared by the admin API and broker events (one rule each). */

/** A module name: the naming rules of `names.ts`, reserved names refused. */
export const moduleNameField = z.string().superRefine((n, ctx) => {
  const p = moduleNameProblem(n);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

/** An absolute http(s) URL, stored without trailing slashes. */
export const httpUrlField = z
  .string()
  .url('must be an absolute URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL')
  .transform((u) => u.replace(/\/+$/, ''));

/** The spec's path below the endpoint. */
export const docsPathField = z
  .string()
  .regex(/^\/[^\s?#]*$/, "must be a path starting with '/' (no query or fragment)");
