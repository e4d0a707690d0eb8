from eigen_lang import *
import math
import numpy as np


@hybrid_program
def p():
    rx(0.5, 0)  # ÿþ café
