import { pino } from 'pino';
import type { Logger } from './core/logger.js';

/** Structured JSON logger; authorization headers and tokens are never written. */
export function createLogger(options: { level: string; pretty?: boolean }): Logger {
  return pino({
    level: options.level,
    base: { service: 'bifrost' },
    redact: {
      paths: [
        'authorization',
        'token',
        '*.authorization',
        '*.token',
        'headers.authorization',
        'req.headers.authorization',
        '*.headers.authorization',
        'forwardHeaders.authorization',
      ],
      censor: '[redacted]',
    },
    ...(options.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' },
          },
        }
      : {}),
  }) as unknown as Logger;
}
