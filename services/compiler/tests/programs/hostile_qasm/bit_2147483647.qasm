OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2147483647] c;
