"""中文：学习者读到的信息、笔记勘误的更正和已知错误写法的名称（术语依 d2l-zh：中文在前，
英文原词在第一次出现时附在括号里）。"""

MESSAGES = {
    # 未通过的行下面的诊断
    "todo": "尚未实现：{what}",
    "todo_at": "（出现在 {site}）",
    # 未通过的位置
    "site_sample": "样本 {value}",
    "site_step": "第 {value} 步",
    "site_param": "参数 {value}",
    "site_state": "状态 {value}",
    "site_grad": "输入 {value} 的梯度",
    "site_output": "输出 {value}",
    "site_what": "{site}：{what}",
    "failed": "未通过：{text}",
    "parting": "两条轨迹在第 {step} 步分开：{where}",
    "first_difference": "第一处不同：{site}，元素 {index}{at}：torch 为 {torch}，你的为 {yours}",
    "input_there": "（该处的输入：{value}）",
    "slip": "你的{part}与一个已知的错误写法（known slip）相同：{label}{source}",
    "slip_source": "（笔记，{section}）",
    "erratum": "笔记原文：{quote}；更正：{correction}",
    "part_backward": "反向传播（backward）",
    "part_forward": "前向传播（forward）",
    "part_update": "参数更新（update）",
    "part_state": "参数更新中的状态（state）",
    "part_piece": "实现",
    # 无法检查的学习者文件（一行，退出状态 2）
    "with_folder": "{spec}：这是一个文件夹；请给出写有你的部件的 .py 文件",
    "with_missing": "{spec}：没有这个文件",
    "with_import": "{spec}：无法导入 {name!r}（{error}）",
    "with_exit": "{spec}：它在加载时调用了 {call}({code}){line}；被检查的文件只应"
                 "定义它的部件",
    "with_raised": "{spec}：导入失败{line}：{error}",
    "with_syntax": "{spec}：第 {line} 行有语法错误：{error}{hint}",
    "with_not_source": "{spec}：不是 Python 源代码：{error}{hint}",
    "with_is_python": "（这是 Python 文件吗？）",
    "with_timeout": "{seconds} 秒后已停止（--timeout）：你的文件的检查没有结束；"
                    "请找一找永不结束的循环",
    "with_ended": "你的文件的进程以{how}结束，早于检查的结束：上面的各行就是它完成的全部",
    "at_line": "（第 {line} 行）",
    "no_match": "--with {spec}：其中没有 handgrad 检查的部件的名字；文件中的名字：{names}；"
                "部件：{pieces}；请用 --as NAME=PIECE 指定{example}",
    "no_match_example": "，例如 --as {name}={piece}",
    "no_names": "无",
    "not_callable": "{name} 是 {kind} {value}，不是函数或类：请定义它，例如 "
                    "def {name}(...): ...",
    "extra_parameter": "{name}{signature}：参数 {extra!r} 不在 torch 的 {op}{op_signature} 中",
    "as_no_piece": "--as {text}：没有名为 {piece!r} 的部件；部件有：{pieces}",
    "as_no_name": "--as {name}={piece}：文件中没有名字 {name!r}",
    # 检查
    "summary": "{rows} 行：{passed} 行通过，{failed} 行未通过{skipped}（{controls} 个反例对照"
               "（negative control），{rejected} 个被拒绝）；float64 最大相对误差："
               "输出 {out}，梯度 {grad}；{torch}",
    "skipped": "，{n} 行跳过",
    "advice": "，{n} 行建议（超出练习的要求：只显示，不算未通过；--strict 使其算作未通过）",
    "skipped_jvp": "未检查：你的 Function 没有 jvp，前向模式（forward mode）无法经过它"
                   "（在 backward 旁边写出 jvp(ctx, *tangents)，即 J v，就会检查它）",
    "skipped_setup_context": "未检查：你的 Function 的 forward 接收 ctx，torch.func 无法变换它"
                             "（把 forward 写成不带 ctx 的形式，并写出 "
                             "setup_context(ctx, inputs, output)，就会检查它）",
    "skipped_vmap": "未检查：你的 Function 没有 vmap 规则（设置 generate_vmap_rule = True "
                    "或写出 vmap(info, in_dims, ...)，就会检查它）",
    "left_out": "{count} 个 {group} 用例只在要求时运行，它们需要几分钟：{command}",
    "not_checked": "未检查（没有同名的部件；可用 --as NAME=PIECE 指定）：{names}",
    "borrowed": "{name}（它就是 {where} 本身，不是推导）",
    "defined_twice": "{second} 中的 {piece}（评分用的是第一个，{first} 中的 {piece}）",
    "only_borrowed": "没有你自己的推导可检查：{names}；请用 torch 的张量运算推导它"
                     "（handgrad exercise NAME 会写出起始文件）",
    "watching": "正在监视 {path}：每次保存后重新检查（按 Ctrl-C 结束）",
    # 批改全班
    "grade_nothing": "其中没有 handgrad 检查的部件的名字（文件中的名字：{names}）",
    "grade_passed": "通过",
    "grade_absent": "提交中没有 {piece}",
    "grade_todo": "{piece}：尚未实现（仍是起始文件的原样）",
    "grade_title": "# {count} 份提交的成绩",
    "grade_piece": "## {piece}（{points} 分）：{count} 份中 {full} 份得满分",
    "grade_slip": "- {count} 份中 {times} 份与一个已知的错误写法相同：{label}{source}",
    "grade_todo_count": "- {count} 份中 {times} 份仍是起始文件的原样",
    "grade_stopped": "## 没有运行完的提交",
    "grade_timeout": "运行超过 {seconds} 秒，已停止{where}；之前完成的部分已保留",
    "grade_while": "（正在检查 {piece}）",
    "grade_crashed": "进程以{how} 结束{where}{why}",
    "grade_why": "：{text}",
    "grade_memory": "超出了 {gb} GiB 的内存上限{where}；之前完成的部分已保留",
    "grade_signal": "信号 {signal}",
    "grade_exit": "退出状态 {status}",
    "grade_garbled": "它的进程发来了不是答复的内容{where}；之前完成的部分已保留",
    "grade_failed": "handgrad 的评分进程在这份提交评完之前结束了"
                    "（这是 handgrad 的问题，不是提交的问题：请重新评分）",
    "grade_too_big": "Python 源代码超过 {most} KiB：不评分",
    "grade_printed": "共输出 {bytes} 字节；保留最后 {kept} 个：",
    "grade_no_sandbox": "评分时每份提交都在沙箱中运行，而这里 bubblewrap（bwrap）"
                        "无法创建沙箱：请安装它（apt-get install bubblewrap），"
                        "或用 --no-sandbox 在没有隔离的情况下评分"
                        "（那样提交的代码能读写你能读写的一切）",
    "grade_builtins": "{piece}：不得分：它调用了 {names}，这正是要推导的内容",
    "handmade_builtin": "{piece}：不得分：它调用了 {name}（{file} 第 {line} 行），"
                        "这正是要亲手推导的内置函数",
    "handmade_autograd": "{piece}：不得分：它用 {name}（{file} 第 {line} 行）向 autograd 要导数，"
                         "而不是亲手推导",
    "handmade_handgrad": "{piece}：不得分：它用了 handgrad 自己的答案 {name}"
                         "（{file} 第 {line} 行）",
    "handmade_hidden": "{piece}：不得分：它通过 {name}（{file} 第 {line} 行）调用代码，"
                       "无法读出它调用了什么；请直接按名字调用 torch 的函数",
    "grade_named": "{name}：{said}",
    "grade_ran": "已检查：{pieces}",
    "grade_written": "已写到 {out}：grades.csv、summary.md，以及 submissions/ 下每份提交的 "
                     "feedback.txt、results.json 和 printed.txt",
    # 练习的起始文件
    "exercise_title": "练习：{name}，手工推导。",
    "exercise_section": "笔记章节：{section}。",
    "exercise_update": "请根据类文档字符串中的伪代码，在下面写出 update()。",
    "exercise_lr_at": "请在下面写出 lr_at()：先预热（warm-up），再衰减，逐步计算学习率。",
    "exercise_body": "请根据笔记中的公式，在下面写出 {name}。",
    "exercise_backward": "请在下面写出 {function}.backward：用链式法则（chain rule）求上面前向"
                         "传播的导数。",
    "exercise_jvp": "之后如果愿意，再写 {function}.jvp(ctx, *tangents)：前向模式，J v\n"
                    "（forward_ 行检查它；用 ctx.save_for_forward 保存它需要的量）。",
    "exercise_verdict": "在 float64 和 float32 下、在我们的样本和 torch 自己的样本上各行都通过，"
                        "它就通过；\n除此之外的行只是建议（只显示，不算未通过）。",
    "exercise_check": "检查方法：  {command}",
    "no_exercise": "没有名为 {name!r} 的练习；`handgrad exercise --list` 列出全部练习：{names}",
    "exercise_exists": "{path} 已存在：其中可能有你的工作；请用 --out 另选文件，或加 --force",
    "exercise_unwritable": "无法写入 {path}（{error}）；请在你有写权限的文件夹中运行，或用 "
                           "--out FILE 另选文件",
    "exercise_wrote": "已写出 {path}：请写出{what}，然后运行  {command}",
    "what_backward": "反向传播",
    "what_update": "参数更新",
    "what_lr_at": " lr_at",
    "hint_backward": "# grad 是 dL/d(输出)；为 forward 的每个输入返回 dL/d(输入)\n"
                     "# （不是张量的输入返回 None），所需的量取自 forward 存在 ctx 中的值",
    "hint_update": "# p：参数；g：它的梯度（已计入 maximize 和权重衰减（weight decay））\n"
                   "# state：该参数的 {state_keys}（视设置而用），由 init_state 创建\n"
                   "#   （若有 state[\"step\"]，它已经计入这一步）\n"
                   "# group：group[\"lr\"] 及这个类的其他设置\n"
                   "# 原地修改 p 和 state（p.add_(...)、m.mul_(...)）：调用者保留它们。",
}

CORRECTIONS = {
    "erratum_least_squares_is_linear":
        "用最小二乘法拟合直线是线性回归（linear regression）。逻辑回归（logistic regression）"
        "建模的是 (0, 1) 之间的概率 sigma(w x + b)，无法拟合 y = 1.5x + 0.25。",
    "erratum_bias_threshold":
        "对 y = x1 + x2 - 1，表格把 y = 1（两件事都发生）标为激活，所以神经元在 y > 0 时激活"
        "（对 0/1 输入即 y >= 1）；“> 1”对任何输入都不激活。表格还漏掉了 (0, 1)，它给出 "
        "y = 0：不激活。",
    "erratum_weighted_sum_not_average":
        "神经元求的是加权和 sum_i w_i x_i + b，不是加权平均：权重之和不必为 1，也不除以"
        "权重之和。",
    "erratum_output_layer_indices":
        "y_k = f(sum_j w_jk h_j + b_k)：求和遍历隐藏单元 j（用 h_j），每个输出 k 有自己的"
        "权重 w_jk（正如笔记下一行所写）。",
    "erratum_sigmoid_sign":
        "sigma(y) = 1 / (1 + e^{-y})。用减号时函数在 y = 0 处有极点，并且会超出 (0, 1)。",
    "erratum_sigmoid_derivative_of_output":
        "dout/dnet = sigma(net)(1 - sigma(net)) = out (1 - out)：sigma 只作用于 net 一次，"
        "不再作用于 out。dE/dnet_h1 中也有同样的错误。",
    "erratum_w5_without_error_factor":
        "dE/dw5 = (out_o1 - target_o1) out_o1 (1 - out_o1) out_h1，dE/db_o1 = (out_o1 - "
        "target_o1) out_o1 (1 - out_o1)：链式法则从 dE/dout = out - target 开始。",
    "erratum_w1_chain_rule":
        "dE/dw1 = sum_o (out_o - target_o) out_o (1 - out_o) w_(o,h1) h1 (1 - h1) x1：隐藏单元"
        "自身的导数 h1 (1 - h1) 是一个因子，经过两个输出的路径要相加。",
    "erratum_sigmoid_slope_at_most_quarter":
        "sigma'(x) = sigma (1 - sigma) 至多为 1/4，在 x = 0 处取到：取值范围是 (0, 1/4]。"
        "正是这个上界使梯度在多层 sigmoid 中消失（梯度消失，vanishing gradient）。",
    "erratum_gradient_step_sign":
        "theta_new = theta_old - eta g：沿梯度的反方向走一步，即下山（正如笔记自己在"
        "“梯度下降的过程”中所写）。用 + 号时拟合会爬离碗底而发散。",
    "erratum_average_over_examples":
        "梯度应对 m 个样本取平均，g = (1/m) sum_i grad E_i，而不是对 n + 1 个参数取平均；"
        "否则步长随数据集的大小增长（这里是 20 倍，对均值收敛的学习率会使下降发散）。",
    "erratum_minibatch_samples_examples":
        "小批量随机梯度下降（mini-batch SGD）随机抽取一部分样本，用它们的平均梯度更新"
        "所有权重。",
    "erratum_momentum_sign":
        "theta_t = theta_(t-1) - v_t。（学习率 eta 不变时，它与 torch 的 SGD 动量 "
        "b = mu b + g, theta -= eta b 逐步相同。）",
    "erratum_momentum_starts_at_zero":
        "速度从零开始，v_0 = 0，所以第一步是 v_1 = eta g_1。",
    "erratum_adaptive_rates_are_not_warmup":
        "AdaGrad 和 RMSProp 是逐参数的自适应学习率：AdaGrad 的步长只会随平方梯度的累加而"
        "缩小。预热（warm-up）是在最初几步中提高学习率的调度（manual/schedules.py）。",
    "erratum_adagrad_divides_by_root_sum":
        "AdaGrad 除以 sqrt(sum g^2) + eps，即平方梯度之和的平方根（正如笔记自己的公式），"
        "而不是它们的方差。",
    "erratum_adam_r_is_second_moment":
        "r 是平方梯度的滑动平均（二阶矩，torch 的 exp_avg_sq）；学习率是 eta，一步为 "
        "eta s_hat / (sqrt(r_hat) + eps)。",
    "erratum_cross_entropy_one_hot_targets":
        "变成独热（one-hot）向量的是目标；输出经过 softmax，损失为 -sum_c t_c log "
        "softmax(z)_c。把输出变成独热向量会得到 log 0，也没有梯度。",
    "erratum_padding_keeps_size":
        "在 3x3 卷积核周围补一圈 0 会保持特征图的大小（H + 2 - 3 + 1 = H），并不增大。"
        "填充（padding）阻止了缩小，并让边缘像素和中间像素被用到同样多次。",
}
