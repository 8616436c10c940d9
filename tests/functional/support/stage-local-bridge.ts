/**
 * Imported first (before ../../support/stack reads STAGE) by the tests of `ingest: eventbridge`: they use
 * the stack of stage `local-bridge`, which `make test-functional` deploys beside `local`. Jest gives each
 * test file a process.env of its own, so the other files keep stage `local`.
 */
process.env.STAGE = 'local-bridge';
