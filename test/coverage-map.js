// Every test file is measured against the whole src/ tree.
module.exports = () => ['src/**/*.ts'];
