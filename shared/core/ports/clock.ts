/** Time as the use cases see it: the system clock in production, a controlled one in model tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
