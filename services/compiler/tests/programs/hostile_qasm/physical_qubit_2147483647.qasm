OPENQASM 3.0;
include "stdgates.inc";
x $2147483647;
