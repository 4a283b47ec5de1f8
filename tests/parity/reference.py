"""PyTorch reference definitions for Easel's model registry (the parity tests' ground truth).

torchvision's nets are used as they are. Xception is written here from the published architecture
with timm's legacy_xception module names (Debian has no timm); RecurrentCNN and EffNetLSTM are the
style seed's definitions; the two-branch ResNet50 follows Easel's spec (nets/two_branch.cpp).
"""
import torch
import torch.nn as nn
import torchvision


class SeparableConv2d(nn.Module):
    def __init__(self, cin, cout, k=3, stride=1, padding=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, k, stride, padding, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.conv1(x))


class XceptionBlock(nn.Module):
    def __init__(self, cin, cout, reps, stride, start_with_relu=True, grow_first=True):
        super().__init__()
        layers = []
        for i in range(reps):
            if grow_first:
                a, b = (cin if i == 0 else cout), cout
            else:
                a, b = cin, (cin if i < reps - 1 else cout)
            if i > 0 or start_with_relu:
                layers.append(nn.ReLU())
            layers += [SeparableConv2d(a, b), nn.BatchNorm2d(b)]
        if stride != 1:
            layers.append(nn.MaxPool2d(3, stride, 1))
        self.rep = nn.Sequential(*layers)
        if cout != cin or stride != 1:
            self.skip = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)
            self.skipbn = nn.BatchNorm2d(cout)
        else:
            self.skip = None

    def forward(self, x):
        return self.rep(x) + (self.skipbn(self.skip(x)) if self.skip is not None else x)


class Xception(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.block1 = XceptionBlock(64, 128, 2, 2, start_with_relu=False)
        self.block2 = XceptionBlock(128, 256, 2, 2)
        self.block3 = XceptionBlock(256, 728, 2, 2)
        for i in range(4, 12):
            setattr(self, f"block{i}", XceptionBlock(728, 728, 3, 1))
        self.block12 = XceptionBlock(728, 1024, 2, 2, grow_first=False)
        self.conv3 = SeparableConv2d(1024, 1536)
        self.bn3 = nn.BatchNorm2d(1536)
        self.conv4 = SeparableConv2d(1536, 2048)
        self.bn4 = nn.BatchNorm2d(2048)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        for i in range(1, 13):
            x = getattr(self, f"block{i}")(x)
        x = torch.relu(self.bn3(self.conv3(x)))
        x = torch.relu(self.bn4(self.conv4(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class RecurrentCNN(nn.Module):
    def __init__(self, num_classes, lstm_hidden_size=256, dropout_prob=0.5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1, 1)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(32, 64, 3, 1, 1)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.adaptive_pool = nn.AdaptiveAvgPool2d((14, 56))
        self.lstm = nn.LSTM(64 * 56, lstm_hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout_prob)
        self.fc = nn.Linear(2 * lstm_hidden_size, num_classes)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = self.adaptive_pool(x).permute(0, 2, 1, 3).contiguous()
        b, s, c, w = x.shape
        x = x.view(b, s, c * w)
        out, _ = self.lstm(x)
        return self.fc(self.dropout(out.mean(dim=1)))


class EffNetLSTM(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.cnn = torchvision.models.efficientnet_b0().features
        self.channel_reducer = nn.Sequential(nn.Conv2d(1280, 512, 1), nn.BatchNorm2d(512), nn.ReLU())
        self.lstm = nn.LSTM(512, 256, num_layers=2, bidirectional=True, batch_first=True)
        self.classifier = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, num_classes))

    def forward(self, x):
        x = self.channel_reducer(self.cnn(x))
        b, c, h, w = x.shape
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        _, (h_n, _) = self.lstm(x)
        return self.classifier(torch.cat((h_n[-2], h_n[-1]), dim=1))


class VGGGap(nn.Module):
    """torchvision's VGG features, global average pooling, one Linear (the pose seed's Keras head)."""

    def __init__(self, depth, num_classes):
        super().__init__()
        self.features = getattr(torchvision.models, f"vgg{depth}")().features
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


class ResNetTrunk(nn.Module):
    """torchvision's resnet50 without fc: pooled 2048-d features."""

    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet50()
        for name in ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"]:
            setattr(self, name, getattr(r, name))

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)


class TwoBranchResNet50(nn.Module):
    def __init__(self, num_classes, fusion=False):
        super().__init__()
        self.global_branch = ResNetTrunk()
        self.patch_branch = ResNetTrunk()
        if fusion:
            self.head = nn.Sequential(nn.Linear(4096, 512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, num_classes))
        else:
            self.fc = nn.Linear(4096, num_classes)

    def forward(self, x):
        H, W = x.shape[2], x.shape[3]
        h, w = H // 2, W // 2
        top, left = (H - h) // 2, (W - w) // 2
        both = torch.cat([self.global_branch(x), self.patch_branch(x[:, :, top:top + h, left:left + w])], 1)
        return self.head(both) if hasattr(self, "head") else self.fc(both)


def build(name, num_classes):
    if name == "xception":
        return Xception(num_classes)
    if name == "recurrent_cnn":
        return RecurrentCNN(num_classes)
    if name == "effnet_lstm":
        return EffNetLSTM(num_classes)
    if name in ("vgg16_gap", "vgg19_gap"):
        return VGGGap(int(name[3:5]), num_classes)
    if name == "two_branch_resnet50":
        return TwoBranchResNet50(num_classes)
    if name == "two_branch_resnet50_fusion":
        return TwoBranchResNet50(num_classes, fusion=True)
    return getattr(torchvision.models, name)(num_classes=num_classes)
