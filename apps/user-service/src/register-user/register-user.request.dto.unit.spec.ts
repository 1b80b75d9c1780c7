import { describe, expect, it } from '@jest/globals';
import { RegisterUserRequest } from './register-user.request.dto.js';

const valid = { email: ' Ann@Example.COM ', password: 'correct horse', name: ' Ann ' };
const badFields = (input: unknown) => {
  const result = RegisterUserRequest.safeParse(input);
  return result.success ? [] : [...new Set(result.error.issues.map((issue) => issue.path.join('.')))].sort();
};

describe('RegisterUserRequest', () => {
  it('normalises the email, trims the name and defaults newsletter to false', () => {
    expect(RegisterUserRequest.parse(valid)).toEqual({ email: 'ann@example.com', password: 'correct horse', name: 'Ann', newsletter: false });
  });

  it('names every bad field', () => {
    expect(badFields({ email: 'nope', password: 'short', name: '', newsletter: 'yes' })).toEqual(['email', 'name', 'newsletter', 'password']);
    expect(badFields({})).toEqual(['email', 'name', 'password']);
  });

  it('measures the password in bytes, as bcrypt does (72 max)', () => {
    expect(badFields({ ...valid, password: 'a'.repeat(72) })).toEqual([]);
    expect(badFields({ ...valid, password: 'a'.repeat(73) })).toEqual(['password']);
    // 25 three-byte characters are 75 bytes: too long although only 25 characters.
    expect(badFields({ ...valid, password: '€'.repeat(25) })).toEqual(['password']);
    expect(badFields({ ...valid, password: '€€€' })).toEqual([]);
  });

  it('counts the name in characters: 100 emoji are fine, 101 are not', () => {
    expect(badFields({ ...valid, name: '😀'.repeat(100) })).toEqual([]);
    expect(badFields({ ...valid, name: '😀'.repeat(101) })).toEqual(['name']);
  });
});
