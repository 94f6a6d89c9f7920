/**
 * Finding a channel's customers the way a store associate or a call centre asks: by email, phone,
 * name or account number. Search compares normalised keys, so formatting and case never decide a
 * match: an email is compared lower-cased, a phone number by its digits only
 * (`+1 (555) 010-7788` is `15550107788`), a name by its lower-cased words.
 */
import type { ChannelCustomer } from './channel-customer';

/** The keys a customer is found by, as the Cosmos adapter stores them on the customer's document. */
export interface SearchKeys {
  /** The customer's email and its Email contacts, lower-cased. */
  emails: string[];
  /** The customer's phone and its Phone contacts, digits only. */
  phones: string[];
  /** First name, last name and organization name, lower-cased: each whole, and each of its words. */
  names: string[];
}

/** A search, normalised: every given criterion must match. */
export interface CustomerSearchCriteria {
  email?: string;
  phone?: string;
  /** Each must be a prefix of one of the customer's name keys. */
  nameWords?: string[];
  /** The HQ account number, exactly; or a custAccountAsync GUID (lower-cased). */
  accountNumber?: string;
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export const normalizePhone = (phone: string): string => phone.replace(/\D/g, '');

/** Compatibility-normalised (NFKC) and lower-cased, so `Ｊｏｈｎ` and `JOHN` are `john`. */
export const normalizeName = (name: string): string => name.normalize('NFKC').trim().toLowerCase();

/** The words of a name as search compares them. */
export const nameWords = (name: string): string[] => normalizeName(name).split(/\s+/).filter(Boolean);

type Searchable = Pick<ChannelCustomer, 'email' | 'phone' | 'firstName' | 'lastName' | 'organizationName' | 'contacts'>;

export function searchKeysOf(customer: Searchable): SearchKeys {
  const contacts = (type: string) => customer.contacts.filter((c) => c.type === type).map((c) => c.value);
  const names = [customer.firstName, customer.lastName, customer.organizationName].filter((n): n is string => !!n).map(normalizeName);
  return {
    emails: unique([customer.email, ...contacts('Email')].map(normalizeEmail)),
    phones: unique([customer.phone, ...contacts('Phone')].filter((p): p is string => !!p).map(normalizePhone)).filter(Boolean),
    names: unique([...names, ...names.flatMap((n) => n.split(/\s+/))]).filter(Boolean),
  };
}

/** Whether the customer matches every criterion given (the memory adapter's search; Cosmos queries the same keys). */
export function matchesSearch(customer: ChannelCustomer, criteria: CustomerSearchCriteria): boolean {
  const keys = searchKeysOf(customer);
  if (criteria.email !== undefined && !keys.emails.includes(criteria.email)) return false;
  if (criteria.phone !== undefined && !keys.phones.includes(criteria.phone)) return false;
  if (criteria.nameWords?.some((word) => !keys.names.some((name) => name.startsWith(word)))) return false;
  if (criteria.accountNumber !== undefined && customer.accountNumber !== criteria.accountNumber && customer.custAccountAsync !== criteria.accountNumber) {
    return false;
  }
  return true;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
