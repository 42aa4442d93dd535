import { z } from 'zod';
import { HOST_NAMESPACES } from '../policy/create-rules.ts';
import { callerContainerSchema } from './file-identity.ts';
import { limitsSchema, registriesSchema } from './file-limits.ts';

/** The configuration file's shape (zod): what file.ts validates a parsed YAML document against. */

const list = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const listenerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, ".", "_" or "-"'),
    address: z.string().min(1),
    socket: z
      .object({
        owner: z.number().int().nonnegative().optional(),
        group: z.number().int().nonnegative().optional(),
        mode: z
          .string()
          .regex(/^0?[0-7]{3}$/, 'an octal mode in quotes, such as "0660"')
          .default('0660'),
      })
      .strict()
      .optional(),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1), clientCa: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

const matchSchema = z
  .object({
    listener: list.optional(),
    from: list.optional(),
    token: z
      .object({ file: z.string().min(1).optional(), env: z.string().min(1).optional() })
      .strict()
      .refine((t) => (t.file === undefined) !== (t.env === undefined), 'give exactly one of "file" or "env"')
      .optional(),
    certificate: z
      .object({ cn: list.optional(), san: list.optional() })
      .strict()
      .refine((c) => c.cn !== undefined || c.san !== undefined, 'give "cn", "san" or both')
      .optional(),
    header: z
      .object({ name: z.string().min(1), value: list.optional(), trustedProxies: list })
      .strict()
      .optional(),
    container: callerContainerSchema.optional(),
  })
  .strict();

const containersSchema = z.union([
  z.literal('all'),
  z.literal('owned'),
  z
    .object({
      names: list.optional(),
      labels: list.optional(),
      owned: z.boolean().optional(),
      match: z.enum(['substring', 'exact', 'glob', 'regex']).optional(),
    })
    .strict()
    .refine(
      (c) => c.names !== undefined || c.labels !== undefined || c.owned === true,
      'give "names", "labels", "owned: true" (or write: all, or: owned)',
    ),
]);

const names = z.array(z.string().min(1)).default([]);

const createSchema = z.union([
  z.literal('unrestricted'),
  z
    .object({
      privileged: z.boolean().default(false),
      hostNamespaces: z.array(z.enum(HOST_NAMESPACES)).default([]),
      hostPaths: z
        .array(
          z.union([
            z.string().min(1),
            z.object({ path: z.string().min(1), readOnly: z.boolean().default(false) }).strict(),
          ]),
        )
        .default([]),
      devices: z.boolean().default(false),
      capAdd: names,
      securityOpt: names,
      sysctls: names,
      volumeDrivers: names,
      networkDrivers: names,
      logDrivers: names,
      runtimes: names,
      annotations: z.boolean().default(false),
      cgroupParent: z.boolean().default(false),
      fetch: z.boolean().default(false),
      swarm: z.boolean().default(false),
      plugins: z.boolean().default(false),
    })
    .strict(),
]);

const clientSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a name of letters, digits, ".", "_" or "-"'),
    match: matchSchema.default({}),
    containers: containersSchema,
    scrubEnvs: z.boolean().default(false),
    mode: z.enum(['enforce', 'learn']).default('enforce'),
    owner: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'an owner name of letters, digits, ".", "_" or "-"')
      .optional(),
    sharedImages: z.enum(['use', 'manage']).optional(),
    create: createSchema.optional(),
    limits: limitsSchema.optional(),
    registries: registriesSchema.optional(),
    allow: z.array(z.string().min(1)).optional(),
    deny: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const fileSchema = z
  .object({
    upstream: z.string().min(1).optional(),
    upstreamKind: z.string().min(1).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    cacheTtl: z.string().min(1).optional(),
    ownerLabel: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*$/, 'a label key such as dockscope.owner')
      .optional(),
    upstreamTimeout: z.string().min(1).optional(),
    maxConnections: z.number().int().positive().optional(),
    maxStreamsPerClient: z.number().int().positive().optional(),
    admin: z
      .object({ address: z.string().min(1) })
      .strict()
      .optional(),
    audit: z.string().min(1).optional(),
    listeners: z.array(listenerSchema).min(1),
    clients: z.array(clientSchema).min(1),
  })
  .strict();

export type FileSettings = z.infer<typeof fileSchema>;
