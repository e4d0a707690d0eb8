from eigen_lang import *
import math
import numpy as np


@hybrid_program(seed=1)
def p():
    os = __import__('os')
    h(0)
