OPENQASM 3.0;
const int n = 2147483647;
qubit[n] q;
