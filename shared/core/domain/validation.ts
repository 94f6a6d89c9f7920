/**
 * Strict request validation: unknown fields are refused (no mass assignment of accountNumber or
 * status), every text is well-formed Unicode without control characters, and sizes are bounded.
 */
import { z } from 'zod';

export const fieldErrorSchema = z.object({
  /** JSON Pointer to the offending value, e.g. `/addresses/0/city`. */
  path: z.string().meta({ description: 'JSON Pointer (RFC 6901) to the offending value, e.g. `/addresses/0/city`; for a query parameter, `/name`.' }),
  message: z.string(),
});
export type FieldError = z.output<typeof fieldErrorSchema>;

export class ValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(`invalid request: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
  }
}

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.isWellFormed() && !/\p{Cc}/u.test(s), 'must be well-formed text without control characters');

const email = z.string().trim().max(254, 'must be at most 254 characters').pipe(z.email('must be an email address'));
/** An email as sign-ups give it; customer search takes the same. */
export const emailSchema = email;
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{2,30}$/, 'must be a phone number (digits, spaces, + ( ) . -)');
const language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, 'must be a language tag such as en-US');
const url = z.url('must be an absolute URL').max(2048);

export const externalIdentitySchema = z.strictObject({
  provider: text(100),
  id: text(200),
});

const addressInput = z.strictObject({
  name: text(100).optional(),
  street: text(250),
  city: text(60),
  zipCode: text(10).optional(),
  state: text(10).optional(),
  countryRegionId: z.string().regex(/^[A-Z]{2,3}$/, 'must be an ISO country/region code such as USA or NL'),
  addressType: z.enum(['Home', 'Business', 'Delivery', 'Invoice']).default('Home'),
  isPrimary: z.boolean().default(false),
});

const contactInput = z
  .strictObject({
    type: z.enum(['Email', 'Phone', 'Url']),
    value: z.string(),
    description: text(60).optional(),
    isPrimary: z.boolean().default(false),
  })
  .superRefine((contact, ctx) => {
    const check = { Email: email, Phone: phone, Url: url }[contact.type].safeParse(contact.value);
    if (!check.success) ctx.addIssue({ code: 'custom', path: ['value'], message: check.error.issues[0].message });
  });

const affiliationInput = z.strictObject({ name: text(60) });

const attributeInput = z.strictObject({
  name: text(60),
  value: z.union([text(1000), z.number().finite(), z.boolean()]),
});

const customerFieldShape = {
  firstName: text(100),
  middleName: text(100).optional(),
  lastName: text(100),
  title: text(30).optional(),
  email,
  phone: phone.optional(),
  language: language.optional(),
  customerType: z.enum(['Person', 'Organization']).default('Person'),
  organizationName: text(100).optional(),
};

function organizationNeedsName(value: { customerType?: string; organizationName?: string }, ctx: z.RefinementCtx) {
  if (value.customerType === 'Organization' && !value.organizationName) {
    ctx.addIssue({ code: 'custom', path: ['organizationName'], message: 'is required for an Organization' });
  }
}

export const signUpSchema = z
  .strictObject({
    externalIdentity: externalIdentitySchema,
    ...customerFieldShape,
    addresses: z.array(addressInput).max(10, 'at most 10 addresses').default([]),
    contacts: z.array(contactInput).max(10, 'at most 10 contacts').default([]),
    affiliations: z.array(affiliationInput).max(10, 'at most 10 affiliations').default([]),
    attributes: z.array(attributeInput).max(50, 'at most 50 attributes').default([]),
  })
  .superRefine(organizationNeedsName)
  .superRefine((value, ctx) => {
    const names = new Set<string>();
    value.attributes.forEach((a, i) => {
      if (names.has(a.name)) ctx.addIssue({ code: 'custom', path: ['attributes', i, 'name'], message: 'is given twice' });
      names.add(a.name);
    });
  });

export type SignUpRequest = z.infer<typeof signUpSchema>;
export type AddressInput = z.infer<typeof addressInput>;

/** An edit: any customer field, at least one; the identity and account are not editable. */
export const customerEditSchema = z
  .strictObject({
    firstName: customerFieldShape.firstName.optional(),
    middleName: customerFieldShape.middleName,
    lastName: customerFieldShape.lastName.optional(),
    title: customerFieldShape.title,
    email: email.optional(),
    phone: customerFieldShape.phone,
    language: customerFieldShape.language,
    organizationName: customerFieldShape.organizationName,
  })
  .refine((v) => Object.keys(v).length > 0, 'must change at least one field');

export type CustomerEditRequest = z.infer<typeof customerEditSchema>;

export const addressSchema = addressInput;

/** Payload schemas per entity, for operators editing a queued operation (same rules as the storefront). */
export const payloadSchemas = {
  'Customer:Create': z.strictObject(customerFieldShape).superRefine(organizationNeedsName),
  'Customer:Update': customerEditSchema,
  'Customer:Deactivate': z.strictObject({}),
  'Address:Create': addressInput.extend({ addressId: z.uuid() }),
  'Contact:Create': contactInput.safeExtend({ contactId: z.uuid() }),
  'Affiliation:Create': affiliationInput,
  'Attribute:Create': attributeInput,
} as const;

/** The schema an operator's edit of this operation's payload must meet; undefined when it has no editable payload. */
export function payloadSchemaFor(op: { entity: string; operation: string }): z.ZodType | undefined {
  return (payloadSchemas as Record<string, z.ZodType>)[`${op.entity}:${op.operation}`];
}

/** Parses `input` or throws a ValidationError listing every problem with its JSON Pointer. */
export function parseStrict<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(toFieldErrors(result.error));
}

export function toFieldErrors(error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ path: pointer([...base, key]), message: 'is not a known field' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      errors.push({ path: pointer(base), message: 'is required' });
    } else {
      errors.push({ path: pointer(base), message: issue.message });
    }
  }
  return errors;
}

function pointer(segments: string[]): string {
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
