OPENQASM 2.0;
include "qelib1.inc";
gate g a { rx(9^9^9) a; }
qreg q[1];
g q[0];
