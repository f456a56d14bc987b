// The proxy's brake on secret guessing: one set of budgets for tempauth keys
// (/auth/v1.0) and S3 signatures alike, since a tempauth key is also that user's S3 secret
// and an EC2 secret is as guessable through S3 as a password is through Keystone. Each
// attempt counts against its user (or access key) and against the client's address.
import { AttemptLimiter, guardAttempt } from '../../common/rate-limit.js';
import type { ProxySettings } from '../config.js';

type AttemptSettings = Pick<
  ProxySettings,
  'max_failed_auth_per_user' | 'max_failed_auth_per_source' | 'failed_auth_window_s' | 'max_concurrent_auth_checks'
>;

export class AuthAttempts {
  private readonly perUser: AttemptLimiter;
  private readonly perSource: AttemptLimiter;

  constructor(config: AttemptSettings) {
    const windowMs = config.failed_auth_window_s * 1000;
    const maxConcurrent = config.max_concurrent_auth_checks;
    this.perUser = new AttemptLimiter({ maxFailures: config.max_failed_auth_per_user, windowMs, maxConcurrent });
    this.perSource = new AttemptLimiter({ maxFailures: config.max_failed_auth_per_source, windowMs, maxConcurrent });
  }

  /**
   * Whether `verify` found the secret of `user` right, as one counted attempt from
   * `source`; throws AttemptsExceeded (answered 429 with Retry-After) without verifying
   * when the user or the source is over its limit.
   */
  guard(user: string, source: string, verify: () => Promise<boolean> | boolean): Promise<boolean> {
    const userKey = `user:${user}`;
    return guardAttempt(
      [
        [this.perUser, userKey],
        [this.perSource, `source:${source}`],
      ],
      verify,
      userKey,
    );
  }
}
