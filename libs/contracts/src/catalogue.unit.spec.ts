import { describe, expect, it } from '@jest/globals';
import { contractFor, eventCatalogue } from './catalogue.js';

describe('event catalogue', () => {
  it('names every event in the past tense, once, under its owner’s subject', () => {
    const keys = eventCatalogue.map(({ contract }) => `${contract.name}.v${contract.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const { contract, owner } of eventCatalogue) {
      expect(contract.name).toMatch(/(ed|Up|Sent|Placed|Forgotten)$/);
      expect(owner).toBe(`${contract.context}-service`);
      expect(contract.subject).toBe(`events.${contract.context}.${contract.name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.v${contract.version}`);
    }
  });

  it('finds a contract by name and version, and nothing for an unknown one', () => {
    expect(contractFor('OrderPlaced', 1)?.subject).toBe('events.order.order-placed.v1');
    expect(contractFor('OrderPlaced', 9)).toBeUndefined();
  });

  it('no contract has a field that looks like a secret', () => {
    for (const { contract } of eventCatalogue) {
      const fields = JSON.stringify((contract.schema as unknown as { shape?: object }).shape ?? {});
      expect(fields).not.toMatch(/password|hash|token|secret/i);
    }
  });
});
