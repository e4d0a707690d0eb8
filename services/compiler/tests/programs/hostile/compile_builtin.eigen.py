from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    code = compile('1', 'x', 'eval')
    h(0)
