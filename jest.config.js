/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__test__'],
  testMatch: ['<rootDir>/__test__/**/*.test.ts'],
  // The peer-dependency fixture is a package of its own: keep it out of Jest's module map.
  modulePathIgnorePatterns: ['<rootDir>/__test__/fixtures/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  testTimeout: 20000,
};
